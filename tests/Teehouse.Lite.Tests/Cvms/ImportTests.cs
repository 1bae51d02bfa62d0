using Teehouse.Lite.Fleet;
using System.Net;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>Importing, adopting and reconciling the VMs a teepod already runs, against the simulator over HTTP.</summary>
public sealed class ImportTests : IAsyncLifetime
{
    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _admin = null!;
    private long _teepodId;
    private string _configPath = "";

    private const int Vms = 30;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = Vms, RemoveDelay = TimeSpan.FromMilliseconds(50) });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString(), Version = "0.5.5" });
        });
        _admin = await _app.AdminClientAsync();
        var registered = await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        _teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
        _configPath = _app.Dir.File("cli.toml");
        File.WriteAllText(_configPath, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n[vmm]\nrequest_timeout_ms = 2000\n");
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private Task<CliResult> Import(params string[] extra) =>
        CliRunner.RunAsync(["import", "--teepod", _teepodId.ToString(), "--config", _configPath, .. extra]);

    private async Task<int> CountAsync(string where = "1 = 1")
    {
        await using var c = await _app.Db.OpenAsync();
        return await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM cvms WHERE {where}");
    }

    private TeepodPinger Pinger => (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;

    [Fact]
    public async Task Import_records_every_vm_once_and_a_rerun_changes_nothing()
    {
        var first = await Import();
        Assert.Equal(ExitCodes.Ok, first.ExitCode);
        Assert.Contains($"teepod {_teepodId} (tdx-1): {Vms} VMs: {Vms} new, 0 updated, 0 unchanged, 0 gone", first.Out);
        Assert.Equal(Vms, await CountAsync());

        var again = await Import();
        Assert.Contains($"{Vms} VMs: 0 new, 0 updated, {Vms} unchanged, 0 gone", again.Out);
        Assert.Equal(Vms, await CountAsync());

        var vm = _sim.State.ListVms()[3];
        await using var c = await _app.Db.OpenAsync();
        var row = await RowOfAsync(c, vm.Id);
        Assert.Equal(vm.AppId, row.AppId);
        Assert.Equal(vm.Name, row.Name);
        Assert.Equal(vm.Vcpu, (uint)row.Vcpu!);
        Assert.Equal(AppComposeParser.ComposeHash(vm.ComposeFile), row.ComposeHash);
        Assert.Null(row.UserId);
        Assert.False(row.Listed);
    }

    [Fact]
    public async Task Import_can_give_owner_and_listing_and_unknown_ids_fail_cleanly()
    {
        await _app.CreateTokenAsync("alice");
        var result = await Import("--owner", "alice", "--list");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(Vms, await CountAsync("listed = 1 AND user_id IS NOT NULL"));

        Assert.Equal(ExitCodes.Failure, (await Import("--owner", "nobody")).ExitCode);
        var noTeepod = await CliRunner.RunAsync("import", "--teepod", "999", "--config", _configPath);
        Assert.Equal(ExitCodes.Failure, noTeepod.ExitCode);
        Assert.Contains("no teepod with id 999", noTeepod.Err);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync("import", "--config", _configPath)).ExitCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_teepod_that_dies_mid_import_leaves_whole_batches_and_a_rerun_completes()
    {
        await using var big = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 1200 });
        var registered = await Json.ReadAsync(await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "big", "endpoint": "{{big.BaseUrl.ToString().TrimEnd('/')}}"}"""), TestContext.Current.CancellationToken));
        var bigId = registered.GetProperty("id").GetInt64();

        big.State.FailAfter("Status", successfulCalls: 1); // page 1 of 3 arrives, then the host breaks
        var broken = await CliRunner.RunAsync("import", "--teepod", bigId.ToString(), "--config", _configPath);
        Assert.Equal(ExitCodes.Failure, broken.ExitCode);
        Assert.Contains("run the import again", broken.Err);
        Assert.Equal(CvmImporter.PageSize, await CountAsync($"teepod_id = {bigId}"));

        big.SetFault(FaultMode.None);
        var rerun = await CliRunner.RunAsync("import", "--teepod", bigId.ToString(), "--config", _configPath);
        Assert.Equal(ExitCodes.Ok, rerun.ExitCode);
        Assert.Contains($"1200 VMs: {1200 - CvmImporter.PageSize} new, 0 updated, {CvmImporter.PageSize} unchanged, 0 gone", rerun.Out);
        Assert.Equal(1200, await CountAsync($"teepod_id = {bigId}"));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_reconciler_follows_out_of_band_stops_removals_and_creations()
    {
        await Import();
        var vms = _sim.State.ListVms();
        var running = vms.First(v => v.Status == "running");
        var doomed = vms.Last(v => v.Status == "running" && v.Id != running.Id);
        using var vmm = new Teehouse.Lite.Infrastructure.Dstack.DstackClientFactory(TimeSpan.FromSeconds(5));
        var client = vmm.Vmm(_sim.BaseUrl.ToString());
        await client.StopVmAsync(running.Id, TestContext.Current.CancellationToken);
        await client.RemoveVmAsync(doomed.Id, TestContext.Current.CancellationToken);
        while (_sim.State.GetVm(doomed.Id) is not null) await Task.Delay(20, TestContext.Current.CancellationToken);
        var stranger = _sim.State.AddVm(new Teehouse.Lite.Simulator.Vms.VmSpec
        {
            Name = "created-outside", ComposeFile = """{"manifest_version":2,"name":"x","runner":"docker-compose"}""",
        });

        await Pinger.PingAllAsync(TestContext.Current.CancellationToken);

        await using var c = await _app.Db.OpenAsync();
        Assert.Equal("stopped", await c.ExecuteScalarAsync<string?>("SELECT status FROM cvms WHERE vm_uuid = @id", new { id = running.Id }));
        var gone = await RowOfAsync(c, doomed.Id);
        Assert.Equal(CvmStatus.Gone, gone.Status);
        Assert.NotNull(gone.GoneAt);
        Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM cvms WHERE vm_uuid = @stranger", new { stranger }));

        // The stranger shows up in the hosted listing, unmanaged.
        var listing = await Json.ReadAsync(await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", TestContext.Current.CancellationToken));
        var shown = listing.EnumerateArray().Single(e => e.GetProperty("hosted").GetProperty("id").GetString() == stranger);
        Assert.Equal(JsonValueKind.Null, shown.GetProperty("managed_user").ValueKind);
        Assert.False(shown.GetProperty("listed").GetBoolean());

        // A second reconcile changes nothing more, and the row for the removed VM is still there.
        await Pinger.PingAllAsync(TestContext.Current.CancellationToken);
        Assert.Equal(Vms, await CountAsync());
    }

    [Fact]
    public async Task The_hosted_listing_shows_every_vm_in_the_contract_shape()
    {
        await _app.CreateTokenAsync("bob");
        await Import("--owner", "bob");
        var response = await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = await Json.ReadAsync(response);
        Assert.Equal(Vms, list.GetArrayLength());

        var sim = _sim.State.ListVms().ToDictionary(v => v.Id);
        foreach (var item in list.EnumerateArray())
        {
            var hosted = item.GetProperty("hosted");
            var vm = sim[hosted.GetProperty("id").GetString()!];
            Assert.Equal(vm.Status, hosted.GetProperty("status").GetString());
            Assert.Equal(vm.AppId, hosted.GetProperty("app_id").GetString());
            Assert.Equal("bob", item.GetProperty("managed_user").GetProperty("username").GetString());
            Assert.Equal(_teepodId, item.GetProperty("node").GetProperty("id").GetInt64());
            Assert.Equal("tdx-1", item.GetProperty("node").GetProperty("name").GetString());
            Assert.Equal((long)vm.Vcpu, item.GetProperty("vcpu").GetInt64());
            foreach (var key in new[] { "listed", "status", "in_progress", "dapp_dashboard_url", "syslog_endpoint", "allow_upgrade",
                                         "project_id", "project_type", "billing_period", "kms_info", "contract_address", "deployer_address", "memory", "disk_size" })
                Assert.True(item.TryGetProperty(key, out _), $"missing {key}");
            var compose = hosted.GetProperty("configuration").GetProperty("compose_file");
            if (vm.Id == _sim.State.BrokenComposeVmId)
                Assert.Equal(vm.ComposeFile, compose.GetProperty("raw").GetString());
            else
            {
                Assert.False(compose.TryGetProperty("raw", out _));
                Assert.Equal("docker-compose", compose.GetProperty("runner").GetString());
            }
        }
        Assert.NotNull(_sim.State.BrokenComposeVmId);
    }

    [Fact]
    public async Task The_hosted_listing_is_admin_only_404_for_unknown_and_502_when_the_teepod_is_down()
    {
        using var user = await _app.UserClientAsync();
        await Json.AssertDetailAsync(await user.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", TestContext.Current.CancellationToken), HttpStatusCode.Forbidden);
        await Json.AssertDetailAsync(await _admin.GetAsync("/api/v1/teepods/999/cvms", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await _sim.GoDownAsync();
        await Json.AssertDetailAsync(await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", TestContext.Current.CancellationToken), HttpStatusCode.BadGateway);
        await _sim.ComeBackAsync();
    }

    [Fact]
    public async Task Listing_one_app_adopts_it_idempotently()
    {
        var vm = _sim.State.ListVms().First(v => v.Status == "running");
        var path = $"/api/v1/teepods/{_teepodId}/cvms/0x{vm.AppId.ToUpperInvariant()}/list";
        var first = await _admin.PostAsync(path, null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.PostAsync(path, null, TestContext.Current.CancellationToken)).StatusCode);
        var sameApp = _sim.State.ListVms().Count(v => v.AppId == vm.AppId && !v.Removing);
        Assert.Equal(sameApp, await CountAsync($"app_id = '{vm.AppId}' AND listed = 1"));
        Assert.Equal(sameApp, await CountAsync());

        var listing = await Json.ReadAsync(await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", TestContext.Current.CancellationToken));
        Assert.True(listing.EnumerateArray().Single(e => e.GetProperty("hosted").GetProperty("id").GetString() == vm.Id).GetProperty("listed").GetBoolean());

        await Json.AssertDetailAsync(await _admin.PostAsync($"/api/v1/teepods/{_teepodId}/cvms/{new string('a', 40)}/list", null, TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await _admin.PostAsync($"/api/v1/teepods/999/cvms/{vm.AppId}/list", null, TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await Json.AssertValidationAsync(await _admin.PostAsync($"/api/v1/teepods/{_teepodId}/cvms/not-hex/list", null, TestContext.Current.CancellationToken));
    }

    /// <summary>The one row type of the cvms table, read through its store as the application reads it.</summary>
    private async Task<CvmRow> RowOfAsync(Microsoft.Data.Sqlite.SqliteConnection c, string vmUuid)
    {
        var teepodId = await c.ExecuteScalarAsync<long>("SELECT teepod_id FROM cvms WHERE vm_uuid = @vmUuid", new { vmUuid });
        var store = (CvmStore)_app.App.Services.GetService(typeof(CvmStore))!;
        return (await store.ForTeepodAsync(teepodId))[vmUuid];
    }
}
