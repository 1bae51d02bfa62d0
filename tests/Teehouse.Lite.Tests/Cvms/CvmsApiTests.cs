using Teehouse.Lite.Fleet;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// /api/v1/cvms against the simulator over HTTP: CVMs are recorded with `teehouse import --owner`, as an operator does
/// today. alice owns the simulator's pre-populated VMs, bob three added afterwards (two of them one app).
/// </summary>
public sealed class CvmsApiTests : IAsyncLifetime
{
    private const int AliceVms = 12;

    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;
    private long _teepodId;
    private string _sharedAppId = "";

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Port = 0, PrepopulateVms = AliceVms, RemoveDelay = TimeSpan.FromMilliseconds(50), ShutdownDelay = TimeSpan.FromMilliseconds(100),
        });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.RequestTimeoutMs = 1500;
            c.Vmm.PingIntervalS = 3600; // tests ping explicitly
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString(), Version = "0.5.5" });
        });
        _admin = await _app.AdminClientAsync();
        _alice = await _app.UserClientAsync("alice");
        _bob = await _app.UserClientAsync("bob");
        var registered = await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}", "tproxy_base_domain": "gw.example"}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        _teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();

        Assert.Equal(ExitCodes.Ok, (await ImportAsync("alice")).ExitCode);
        _sharedAppId = new string('b', 40);
        var compose = """{"manifest_version":2,"name":"bob-app","runner":"docker-compose","docker_compose_file":"services: {}\n","gateway_enabled":true,"kms_enabled":true}""";
        var now = DateTimeOffset.UtcNow;
        _sim.State.AddVm(new VmSpec { Name = "bob-old", ComposeFile = compose, AppId = _sharedAppId, CreatedAt = now.AddHours(-2), InstanceId = new string('c', 40) });
        _sim.State.AddVm(new VmSpec { Name = "bob-new", ComposeFile = compose, AppId = _sharedAppId, CreatedAt = now.AddHours(-1), InstanceId = new string('d', 40) });
        _sim.State.AddVm(new VmSpec { Name = "bob-solo", ComposeFile = compose.Replace("bob-app", "solo"), Status = "stopped" });
        Assert.Equal(ExitCodes.Ok, (await ImportAsync("bob")).ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        _alice.Dispose();
        _bob.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private Task<CliResult> ImportAsync(string owner)
    {
        var config = _app.Dir.File("cli.toml");
        File.WriteAllText(config, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n[vmm]\nrequest_timeout_ms = 2000\n");
        return CliRunner.RunAsync("import", "--teepod", _teepodId.ToString(), "--owner", owner, "--config", config);
    }

    private async Task<List<CvmRow>> RowsAsync(string owner)
    {
        await using var c = await _app.Db.OpenAsync();
        return (await c.QueryAsync<CvmRow>("""
            SELECT c.id, c.hashed_id, c.vm_uuid, c.app_id, c.instance_id, c.name, c.status, c.in_progress, c.created_at,
                c.progress_operation
            FROM cvms c JOIN users u ON u.id = c.user_id WHERE u.username = @owner ORDER BY c.id
            """, new { owner })).AsList();
    }

    private async Task<CvmRow> RowAsync(string vmUuid)
    {
        await using var c = await _app.Db.OpenAsync();
        return await c.QuerySingleAsync<CvmRow>(
            "SELECT id, hashed_id, vm_uuid, app_id, instance_id, name, status, in_progress, created_at, progress_operation FROM cvms WHERE vm_uuid = @vmUuid",
            new { vmUuid });
    }

    private static HttpRequestMessage Versioned(HttpMethod method, string path, string version) =>
        new(method, path) { Headers = { { "X-Phala-Version", version } } };

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    private Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string? json = null) =>
        client.PostAsync(path, json is null ? null : Json.Body(json), TestContext.Current.CancellationToken);

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    private TeepodPinger Pinger => (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;

    // ---- list ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_list_pages_newest_first_in_the_2026_shape()
    {
        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var body = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/paginated?page={page}&page_size=5", TestContext.Current.CancellationToken));
            Assert.Equal(AliceVms, body.GetProperty("total").GetInt64());
            Assert.Equal(page, body.GetProperty("page").GetInt32());
            Assert.Equal(5, body.GetProperty("page_size").GetInt32());
            Assert.Equal(3, body.GetProperty("pages").GetInt32());
            var items = body.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(page < 3 ? 5 : 2, items.Count);
            foreach (var item in items)
            {
                Assert.Equal(JsonValueKind.String, item.GetProperty("id").ValueKind);
                Assert.Equal(JsonValueKind.String, item.GetProperty("name").ValueKind);
                Assert.Equal(JsonValueKind.String, item.GetProperty("status").ValueKind);
                Assert.Equal(JsonValueKind.Object, item.GetProperty("resource").ValueKind);
                Assert.Equal(JsonValueKind.Object, item.GetProperty("gateway").ValueKind);
                Assert.Equal("gw.example", item.GetProperty("gateway").GetProperty("base_domain").GetString());
                Assert.Equal("node", item.GetProperty("node_info").GetProperty("object_type").GetString());
                Assert.Equal(_teepodId, item.GetProperty("node_info").GetProperty("id").GetInt64());
                Assert.Equal("tdx-1", item.GetProperty("node_info").GetProperty("name").GetString());
                Assert.Equal(JsonValueKind.Array, item.GetProperty("services").ValueKind);
                Assert.Equal(JsonValueKind.False, item.GetProperty("listed").ValueKind);
                Assert.Equal("workspace", item.GetProperty("workspace").GetProperty("object_type").GetString());
                Assert.Equal("alice", item.GetProperty("creator").GetProperty("username").GetString());
                Assert.Equal(40, item.GetProperty("app_id").GetString()!.Length);
                Assert.True(item.GetProperty("resource").GetProperty("vcpu").GetInt32() >= 1);
                // Optional-but-not-nullable keys: absent, never null.
                foreach (var key in new[] { "public_logs", "public_sysinfo", "gateway_enabled", "secure_time", "storage_fs" })
                    Assert.True(!item.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.Null, key);
                seen.Add(item.GetProperty("id").GetString()!);
            }
        }
        Assert.Equal(AliceVms, seen.Distinct().Count());

        var rows = (await RowsAsync("alice")).OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Select(r => r.HashedId);
        Assert.Equal(rows, seen);
        var past = await OkAsync(await _alice.GetAsync("/api/v1/cvms/paginated?page=9", TestContext.Current.CancellationToken));
        Assert.Empty(past.GetProperty("items").EnumerateArray());
        Assert.Equal(AliceVms, past.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task The_list_in_the_2025_shape_has_every_required_key()
    {
        var body = await OkAsync(await _alice.SendAsync(Versioned(HttpMethod.Get, "/api/v1/cvms/paginated", "2025-10-28"), TestContext.Current.CancellationToken));
        Assert.Equal(AliceVms, body.GetProperty("items").GetArrayLength());
        Assert.Equal(CvmsModule.DefaultPageSize, body.GetProperty("page_size").GetInt32());
        var sim = _sim.State.ListVms().ToDictionary(v => v.Id);
        foreach (var item in body.GetProperty("items").EnumerateArray())
        {
            var hosted = item.GetProperty("hosted");
            foreach (var key in new[] { "id", "name", "status", "uptime", "app_url", "app_id", "instance_id", "exited_at", "boot_progress", "boot_error", "shutdown_progress", "image_version" })
                Assert.True(hosted.TryGetProperty(key, out _), $"hosted.{key}");
            Assert.Equal(JsonValueKind.String, hosted.GetProperty("uptime").ValueKind);
            var vm = sim[hosted.GetProperty("id").GetString()!];
            Assert.Equal(vm.Status, item.GetProperty("status").GetString());
            foreach (var key in new[] { "name", "managed_user", "node", "listed", "status", "in_progress", "dapp_dashboard_url", "syslog_endpoint",
                                         "allow_upgrade", "project_id", "project_type", "billing_period", "kms_info", "vcpu", "memory", "disk_size",
                                         "gateway_domain", "public_urls" })
                Assert.True(item.TryGetProperty(key, out _), key);
            Assert.Equal("alice", item.GetProperty("managed_user").GetProperty("username").GetString());
            Assert.Equal(_teepodId, item.GetProperty("node").GetProperty("id").GetInt64());
            Assert.Equal(JsonValueKind.Array, item.GetProperty("public_urls").ValueKind);
            Assert.Equal((long)vm.Memory, item.GetProperty("memory").GetInt64());
            Assert.Equal((long)vm.Vcpu, item.GetProperty("machine_info").GetProperty("vcpu").GetInt64());
        }
    }

    [Fact]
    public async Task Bad_query_parameters_are_a_422_list()
    {
        var detail = await Json.AssertValidationAsync(await _alice.GetAsync("/api/v1/cvms/paginated?page=0&page_size=abc&node_id=-1&user_id=x", TestContext.Current.CancellationToken));
        var fields = detail.EnumerateArray().Select(d => string.Join('.', d.GetProperty("loc").EnumerateArray().Select(l => l.GetString()))).ToList();
        Assert.Equal(["query.page", "query.page_size", "query.node_id", "query.user_id"], fields);
        await Json.AssertValidationAsync(await _alice.GetAsync($"/api/v1/cvms/paginated?page_size={CvmsModule.MaxPageSize + 1}", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Filters_by_node_and_user()
    {
        var byNode = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/paginated?node_id={_teepodId}&teepod_id={_teepodId}", TestContext.Current.CancellationToken));
        Assert.Equal(AliceVms, byNode.GetProperty("total").GetInt64());
        var elsewhere = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/paginated?teepod_id={_teepodId + 1}", TestContext.Current.CancellationToken));
        Assert.Equal(0, elsewhere.GetProperty("total").GetInt64());
        Assert.Equal(0, elsewhere.GetProperty("pages").GetInt64());

        var all = await OkAsync(await _admin.GetAsync("/api/v1/cvms/paginated", TestContext.Current.CancellationToken));
        Assert.Equal(AliceVms + 3, all.GetProperty("total").GetInt64());
        var bobId = (await new Users.UserStore(_app.Db).FindByNameAsync("bob"))!.Id;
        var bobs = await OkAsync(await _admin.GetAsync($"/api/v1/cvms/paginated?user_id={bobId}", TestContext.Current.CancellationToken));
        Assert.Equal(3, bobs.GetProperty("total").GetInt64());
        // A user filtering for someone else sees nothing more than their own CVMs allow: none.
        var peek = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/paginated?user_id={bobId}", TestContext.Current.CancellationToken));
        Assert.Equal(0, peek.GetProperty("total").GetInt64());
    }

    // ---- isolation and ids -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Users_see_and_act_on_only_their_own_cvms_and_admins_on_all()
    {
        var bobList = await OkAsync(await _bob.GetAsync("/api/v1/cvms/paginated", TestContext.Current.CancellationToken));
        Assert.Equal(["bob-new", "bob-old", "bob-solo"], bobList.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()).Order());

        var alices = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "running");
        foreach (var form in new[] { alices.HashedId, alices.Id.ToString(), alices.Name, alices.VmUuid, $"app_{alices.AppId}" })
        {
            await Json.AssertDetailAsync(await _bob.GetAsync($"/api/v1/cvms/{form}", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        }
        foreach (var op in new[] { "start", "stop", "shutdown", "restart" })
            await Json.AssertDetailAsync(await PostAsync(_bob, $"/api/v1/cvms/{alices.HashedId}/{op}"), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await _bob.GetAsync($"/api/v1/cvms/{alices.HashedId}/state", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await _bob.GetAsync($"/api/v1/cvms/{alices.HashedId}/compose_file", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await _bob.DeleteAsync($"/api/v1/cvms/{alices.HashedId}", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        Assert.Equal("running", _sim.State.GetVm(alices.VmUuid)!.Status);

        var asAdmin = await OkAsync(await _admin.GetAsync($"/api/v1/cvms/{alices.HashedId}", TestContext.Current.CancellationToken));
        Assert.Equal(alices.VmUuid, asAdmin.GetProperty("vm_uuid").GetString());
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_admin, $"/api/v1/cvms/{alices.HashedId}/stop")).StatusCode);
        Assert.Equal("stopped", _sim.State.GetVm(alices.VmUuid)!.Status);

        using var anonymous = _app.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/cvms/paginated", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Every_id_form_resolves_to_the_same_cvm()
    {
        var row = (await RowsAsync("alice")).First(r => r.InstanceId is not null);
        var uuidHex = row.VmUuid.Replace("-", "");
        var forms = new[]
        {
            row.HashedId, row.Id.ToString(), row.Name, row.VmUuid, uuidHex, uuidHex.ToUpperInvariant(), row.VmUuid.ToUpperInvariant(),
            $"app_{row.AppId}", row.AppId, $"app_{row.AppId.ToUpperInvariant()}", $"instance_{row.InstanceId}",
            $"app_{row.InstanceId}", // the SDK's rewrite of getCvmInfo({instance_id: <40 hex>})
        };
        foreach (var form in forms)
        {
            var body = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/{Uri.EscapeDataString(form)}", TestContext.Current.CancellationToken));
            Assert.True(row.HashedId == body.GetProperty("id").GetString(), $"{form} resolved to {body.GetProperty("name")}");
        }

        foreach (var unknown in new[] { "nope", "0000000000000000", "999999", Guid.NewGuid().ToString(), $"app_{new string('e', 40)}", "instance_abc", new string('x', 300) })
        {
            var detail = await Json.AssertDetailAsync(await _alice.GetAsync($"/api/v1/cvms/{unknown}", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
            Assert.Contains("not found", detail);
        }

        // bob-old and bob-new share an app: the app id names the newest; a name or uuid still reaches the older one.
        var bobs = await RowsAsync("bob");
        var byApp = await OkAsync(await _bob.GetAsync($"/api/v1/cvms/app_{_sharedAppId}", TestContext.Current.CancellationToken));
        Assert.Equal("bob-new", byApp.GetProperty("name").GetString());
        var older = await OkAsync(await _bob.GetAsync("/api/v1/cvms/bob-old", TestContext.Current.CancellationToken));
        Assert.Equal(bobs.Single(r => r.Name == "bob-old").HashedId, older.GetProperty("id").GetString());
    }

    // ---- detail ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_detail_adds_the_live_compose_in_2026_and_the_numeric_shape_in_2025()
    {
        var row = (await RowsAsync("bob")).Single(r => r.Name == "bob-new");
        var detail = await OkAsync(await _bob.GetAsync($"/api/v1/cvms/{row.HashedId}", TestContext.Current.CancellationToken));
        var compose = detail.GetProperty("compose_file");
        Assert.Equal(JsonValueKind.Object, compose.ValueKind);
        Assert.Equal("services: {}\n", compose.GetProperty("docker_compose_file").GetString());
        Assert.True(detail.GetProperty("gateway_enabled").GetBoolean());
        Assert.Equal("phala", detail.GetProperty("kms_type").GetString());
        Assert.Equal(row.InstanceId, detail.GetProperty("instance_id").GetString());
        var endpoint = detail.GetProperty("endpoints")[0];
        Assert.StartsWith($"https://{_sharedAppId}-", endpoint.GetProperty("app").GetString());
        Assert.StartsWith($"https://{row.InstanceId}-", endpoint.GetProperty("instance").GetString());

        var legacy = await OkAsync(await _bob.SendAsync(Versioned(HttpMethod.Get, $"/api/v1/cvms/{row.HashedId}", "2025-10-28"), TestContext.Current.CancellationToken));
        Assert.Equal(row.Id, legacy.GetProperty("id").GetInt64());
        Assert.Equal(_teepodId, legacy.GetProperty("teepod_id").GetInt64());
        Assert.Equal("tdx-1", legacy.GetProperty("teepod").GetProperty("name").GetString());
        Assert.Equal(_sharedAppId, legacy.GetProperty("app_id").GetString());
        Assert.Equal(row.VmUuid, legacy.GetProperty("vm_uuid").GetString());
        foreach (var key in new[] { "vcpu", "memory", "disk_size" }) Assert.Equal(JsonValueKind.Number, legacy.GetProperty(key).ValueKind);
        Assert.Equal("dstack-0.5.5", legacy.GetProperty("base_image").GetString());
        // A KMS CVM: the key its env is encrypted to (what `phala envs update` needs), learnt on the first detail read.
        using var factory = new Teehouse.Lite.Infrastructure.Dstack.DstackClientFactory(TimeSpan.FromSeconds(5));
        var expected = await factory.Kms(_sim.KmsUrl.ToString()).GetAppEnvEncryptPubKeyAsync(_sharedAppId, TestContext.Current.CancellationToken);
        Assert.Equal(expected.PublicKey, legacy.GetProperty("encrypted_env_pubkey").GetString());
        Assert.Equal("local-kms", legacy.GetProperty("kms_info").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Array, legacy.GetProperty("public_urls").ValueKind);

        // A compose that is not JSON is shown as its text.
        var broken = await RowAsync(_sim.State.BrokenComposeVmId!);
        var brokenDetail = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/{broken.HashedId}", TestContext.Current.CancellationToken));
        Assert.Equal(JsonValueKind.String, brokenDetail.GetProperty("compose_file").ValueKind);
    }

    // ---- power -----------------------------------------------------------------------------------------------------

    private static void AssertVmSchema(JsonElement vm)
    {
        foreach (var key in new[] { "id", "teepod_id", "vcpu", "memory", "disk_size" })
            Assert.Equal(JsonValueKind.Number, vm.GetProperty(key).ValueKind);
        foreach (var key in new[] { "name", "status", "app_id", "created_at" })
            Assert.Equal(JsonValueKind.String, vm.GetProperty(key).ValueKind);
        foreach (var key in new[] { "vm_uuid", "instance_id", "encrypted_env_pubkey", "teepod", "user_id", "app_url", "base_image" })
            Assert.True(vm.TryGetProperty(key, out _), key);
    }

    [Fact(Timeout = 60_000)]
    public async Task Start_stop_shutdown_and_forced_restart_drive_the_vm()
    {
        var row = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "running");
        var path = $"/api/v1/cvms/{row.HashedId}";

        var stopped = await OkAsync(await PostAsync(_alice, $"{path}/stop"));
        AssertVmSchema(stopped);
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.Equal(row.Id, stopped.GetProperty("id").GetInt64());
        Assert.Equal("stopped", _sim.State.GetVm(row.VmUuid)!.Status);
        Assert.Equal("stopped", (await RowAsync(row.VmUuid)).Status);

        // Shutting down a VM that does not run: the vmm's error (its guest agent does not answer) is relayed as 502.
        await Json.AssertDetailAsync(await PostAsync(_alice, $"{path}/shutdown"), HttpStatusCode.BadGateway);

        var started = await OkAsync(await PostAsync(_alice, $"{path}/start"));
        Assert.Equal("running", started.GetProperty("status").GetString());
        Assert.Equal("running", _sim.State.GetVm(row.VmUuid)!.Status);
        Assert.Equal("running", (await RowAsync(row.VmUuid)).Status);

        var shutdown = await OkAsync(await PostAsync(_alice, $"{path}/shutdown"));
        Assert.Contains(shutdown.GetProperty("status").GetString(), new[] { "stopping", "stopped" });
        await WaitForAsync(() => _sim.State.GetVm(row.VmUuid)!.Status == "stopped", "the guest to power off");

        var before = _sim.State.GetVm(row.VmUuid)!.ProcessStartedAt;
        await PostAsync(_alice, $"{path}/start");
        var firstBoot = _sim.State.GetVm(row.VmUuid)!.ProcessStartedAt;
        Assert.NotEqual(before, firstBoot);
        await Task.Delay(20, TestContext.Current.CancellationToken);
        var restarted = await OkAsync(await PostAsync(_alice, $"{path}/restart", """{"force": true}"""));
        Assert.Equal("running", restarted.GetProperty("status").GetString());
        Assert.NotEqual(firstBoot, _sim.State.GetVm(row.VmUuid)!.ProcessStartedAt);

        await Json.AssertValidationAsync(await PostAsync(_alice, $"{path}/restart", """{"force": "yes"}"""));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_graceful_restart_shuts_the_guest_down_and_starts_it_again()
    {
        var row = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "running");
        var bootedAt = _sim.State.GetVm(row.VmUuid)!.ProcessStartedAt;

        var answer = await OkAsync(await PostAsync(_alice, $"/api/v1/cvms/{row.HashedId}/restart", """{"force": false}"""));
        AssertVmSchema(answer);
        Assert.True(answer.GetProperty("in_progress").GetBoolean());
        Assert.Equal("running", answer.GetProperty("progress").GetProperty("target").GetString());
        var during = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/{row.HashedId}", TestContext.Current.CancellationToken));
        Assert.Equal("running", during.GetProperty("progress").GetProperty("target").GetString());

        await WaitForAsync(() => _sim.State.GetVm(row.VmUuid) is { Status: "running" } vm && vm.ProcessStartedAt != bootedAt, "the VM to boot again");
        await WaitForAsync(() => !RowAsync(row.VmUuid).GetAwaiter().GetResult().InProgress, "the restart to be recorded as done");
        var after = await OkAsync(await _alice.GetAsync($"/api/v1/cvms/{row.HashedId}", TestContext.Current.CancellationToken));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("progress").ValueKind);
        Assert.Equal("running", after.GetProperty("status").GetString());

        // A stopped VM (no body at all, as curl sends it) is simply started.
        var solo = (await RowsAsync("bob")).Single(r => r.Name == "bob-solo");
        var startedSolo = await OkAsync(await _bob.PostAsync($"/api/v1/cvms/{solo.HashedId}/restart", null, TestContext.Current.CancellationToken));
        Assert.Equal("running", startedSolo.GetProperty("status").GetString());
        Assert.False(startedSolo.GetProperty("in_progress").GetBoolean());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_that_does_not_power_off_in_time_is_stopped_hard_and_started()
    {
        var restarter = (CvmRestarter)_app.App.Services.GetService(typeof(CvmRestarter))!;
        var queries = (CvmStore)_app.App.Services.GetService(typeof(CvmStore))!;
        restarter.ShutdownGrace = TimeSpan.Zero; // the first look already finds the grace period over
        var row = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "running");
        var bootedAt = _sim.State.GetVm(row.VmUuid)!.ProcessStartedAt;
        var stopsBefore = _sim.State.CallCount("StopVm");

        // A restart whose guest ignored the shutdown: recorded, but the VM still runs.
        await queries.BeginProgressAsync(row.Id, CvmRestarter.Operation, "running", "test");
        await restarter.TickAsync(TestContext.Current.CancellationToken);

        Assert.False((await RowAsync(row.VmUuid)).InProgress);
        Assert.Equal("running", _sim.State.GetVm(row.VmUuid)!.Status);
        Assert.NotEqual(bootedAt, _sim.State.GetVm(row.VmUuid)!.ProcessStartedAt);
        Assert.Equal(stopsBefore + 1, _sim.State.CallCount("StopVm"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stop_cancels_a_graceful_restart_in_flight()
    {
        var restarter = (CvmRestarter)_app.App.Services.GetService(typeof(CvmRestarter))!;
        var row = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "running");
        var answer = await OkAsync(await PostAsync(_alice, $"/api/v1/cvms/{row.HashedId}/restart"));
        Assert.True(answer.GetProperty("in_progress").GetBoolean());
        var stopped = await OkAsync(await PostAsync(_alice, $"/api/v1/cvms/{row.HashedId}/stop"));
        Assert.False(stopped.GetProperty("in_progress").GetBoolean());
        await restarter.TickAsync(TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal("stopped", _sim.State.GetVm(row.VmUuid)!.Status);
    }

    // ---- delete ----------------------------------------------------------------------------------------------------

    [Fact(Timeout = 60_000)]
    public async Task Delete_is_204_with_an_empty_body_and_the_reconciler_retires_the_cvm()
    {
        var row = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "running");
        var response = await _alice.DeleteAsync($"/api/v1/cvms/{row.HashedId}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.True(_sim.State.GetVm(row.VmUuid) is null or { Removing: true });
        Assert.Equal("removing", (await RowAsync(row.VmUuid)).Status);
        await Json.AssertDetailAsync(await PostAsync(_alice, $"/api/v1/cvms/{row.HashedId}/start"), HttpStatusCode.Conflict);

        await WaitForAsync(() => _sim.State.GetVm(row.VmUuid) is null, "the simulator to finish the removal");
        await Pinger.PingAllAsync(TestContext.Current.CancellationToken);
        Assert.Equal(CvmStatus.Gone, (await RowAsync(row.VmUuid)).Status);
        var list = await OkAsync(await _alice.GetAsync("/api/v1/cvms/paginated", TestContext.Current.CancellationToken));
        Assert.Equal(AliceVms - 1, list.GetProperty("total").GetInt64());
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetString() == row.HashedId);
        await Json.AssertDetailAsync(await _alice.GetAsync($"/api/v1/cvms/{row.HashedId}", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await _alice.DeleteAsync($"/api/v1/cvms/{row.HashedId}", TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_vm_removed_behind_our_back_is_gone_on_the_next_look()
    {
        var row = (await RowsAsync("alice")).First(r => _sim.State.GetVm(r.VmUuid)!.Status == "stopped");
        using var factory = new Teehouse.Lite.Infrastructure.Dstack.DstackClientFactory(TimeSpan.FromSeconds(5));
        await factory.Vmm(_sim.BaseUrl.ToString()).RemoveVmAsync(row.VmUuid, TestContext.Current.CancellationToken);
        await WaitForAsync(() => _sim.State.GetVm(row.VmUuid) is null, "the removal");

        await Json.AssertDetailAsync(await PostAsync(_alice, $"/api/v1/cvms/{row.HashedId}/start"), HttpStatusCode.NotFound);
        Assert.Equal(CvmStatus.Gone, (await RowAsync(row.VmUuid)).Status);

        // Deleting a CVM whose VM is already gone succeeds too.
        var other = (await RowsAsync("alice")).First(r => r.Status != CvmStatus.Gone && _sim.State.GetVm(r.VmUuid)!.Status == "stopped");
        await factory.Vmm(_sim.BaseUrl.ToString()).RemoveVmAsync(other.VmUuid, TestContext.Current.CancellationToken);
        await WaitForAsync(() => _sim.State.GetVm(other.VmUuid) is null, "the removal");
        Assert.Equal(HttpStatusCode.NoContent, (await _alice.DeleteAsync($"/api/v1/cvms/{other.HashedId}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(CvmStatus.Gone, (await RowAsync(other.VmUuid)).Status);
    }

    // ---- state, compose_file, teepod down -----------------------------------------------------------------------

    [Fact]
    public async Task State_is_the_live_vm_and_the_compose_file_is_the_app_compose()
    {
        var row = (await RowsAsync("bob")).Single(r => r.Name == "bob-new");
        var state = await OkAsync(await _bob.GetAsync($"/api/v1/cvms/{row.HashedId}/state", TestContext.Current.CancellationToken));
        Assert.Equal(row.VmUuid, state.GetProperty("id").GetString());
        Assert.Equal("bob-new", state.GetProperty("name").GetString());
        Assert.Equal("running", state.GetProperty("status").GetString());
        Assert.Equal(row.InstanceId, state.GetProperty("instance_id").GetString());
        foreach (var property in state.EnumerateObject()) Assert.Equal(JsonValueKind.String, property.Value.ValueKind);

        var compose = await OkAsync(await _bob.GetAsync($"/api/v1/cvms/{row.HashedId}/compose_file", TestContext.Current.CancellationToken));
        Assert.Equal("services: {}\n", compose.GetProperty("docker_compose_file").GetString());
        Assert.Equal("bob-app", compose.GetProperty("name").GetString());
        Assert.Equal(2, compose.GetProperty("manifest_version").GetInt32());
        Assert.True(compose.GetProperty("kms_enabled").GetBoolean());

        var broken = await RowAsync(_sim.State.BrokenComposeVmId!);
        await Json.AssertDetailAsync(await _alice.GetAsync($"/api/v1/cvms/{broken.HashedId}/compose_file", TestContext.Current.CancellationToken), HttpStatusCode.Conflict);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_state_stream_reports_until_the_target_status()
    {
        var row = (await RowsAsync("bob")).Single(r => r.Name == "bob-new");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{row.HashedId}/state?target=running&interval=1&timeout=10");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await _bob.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("event: state\ndata: {", text);
        Assert.Contains("event: complete\ndata: {\"status\":\"running\"", text);

        using var timeout = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{row.HashedId}/state?target=stopped&interval=1&timeout=1");
        timeout.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var ended = await (await _bob.SendAsync(timeout, TestContext.Current.CancellationToken)).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("event: timeout", ended);

        using var noTarget = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{row.HashedId}/state");
        noTarget.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        await Json.AssertValidationAsync(await _bob.SendAsync(noTarget, TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_teepod_that_is_down_fails_live_routes_with_502_and_the_rest_degrades()
    {
        var row = (await RowsAsync("bob")).Single(r => r.Name == "bob-new");
        await _sim.GoDownAsync();
        try
        {
            var path = $"/api/v1/cvms/{row.HashedId}";
            await Json.AssertDetailAsync(await PostAsync(_bob, $"{path}/stop"), HttpStatusCode.BadGateway);
            await Json.AssertDetailAsync(await _bob.GetAsync($"{path}/state", TestContext.Current.CancellationToken), HttpStatusCode.BadGateway);
            await Json.AssertDetailAsync(await _bob.GetAsync($"{path}/compose_file", TestContext.Current.CancellationToken), HttpStatusCode.BadGateway);
            await Json.AssertDetailAsync(await _bob.DeleteAsync(path, TestContext.Current.CancellationToken), HttpStatusCode.BadGateway);
            var detail = await OkAsync(await _bob.GetAsync(path, TestContext.Current.CancellationToken));
            Assert.Equal(JsonValueKind.Null, detail.GetProperty("compose_file").ValueKind);
            Assert.Equal("running", detail.GetProperty("status").GetString());
            await OkAsync(await _bob.GetAsync("/api/v1/cvms/paginated", TestContext.Current.CancellationToken));
            Assert.Equal("running", (await RowAsync(row.VmUuid)).Status);
        }
        finally
        {
            await _sim.ComeBackAsync();
        }
    }
}
