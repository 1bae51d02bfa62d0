using Teehouse.Lite.Fleet;
using System.Net;
using System.Net.Sockets;
using Dapper;
using System.Text.Json;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Teepods;

/// <summary>
/// Where the infrastructure lives is for admins: users see no vmm, KMS or gateway address in teepod answers, and
/// errors name a failed peer by its label (<c>teepod 'tdx-1'</c>, <c>KMS 'local-kms'</c>), never by URL, port or path.
/// </summary>
public sealed class TeepodPrivacyTests : SimulatedTeepodTest
{
    private const string AppId = "1234567890abcdef1234567890abcdef12345678";

    private readonly string _deadKmsUrl = $"http://127.0.0.1:{ClosedPort()}/kms";

    protected override void Configure(TeehouseConfig config)
    {
        config.Vmm.RequestTimeoutMs = 1000;
        config.Kms.Add(new() { Id = "host-kms", Url = _deadKmsUrl, Version = "0.5.5" });
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private string SimEndpoint => _sim.BaseUrl.ToString().TrimEnd('/');

    /// <summary>Nothing that says where the simulator (vmm, KMS and gateway alike) listens.</summary>
    private void AssertNoAddress(string text)
    {
        Assert.DoesNotContain("http://", text);
        Assert.DoesNotContain("https://", text);
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain(_sim.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), text);
        Assert.DoesNotContain("/", text);
    }

    [Fact]
    public async Task Users_get_the_teepod_address_keys_as_null_and_admins_get_the_addresses()
    {
        using var admin = await _app.AdminClientAsync();
        var mine = Assert.Single((await Json.ReadAsync(await _user.GetAsync("/api/v1/teepods", Ct))).EnumerateArray());
        foreach (var key in new[] { "endpoint", "kms_url", "tproxy_url" })
            Assert.Equal(JsonValueKind.Null, mine.GetProperty(key).ValueKind); // present, as the contract's shape has it
        Assert.Equal("tdx-1", mine.GetProperty("name").GetString());
        var text = mine.GetRawText();
        Assert.DoesNotContain("http://", text);
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain($":{_sim.Port}", text);

        var theirs = Assert.Single((await Json.ReadAsync(await admin.GetAsync("/api/v1/teepods", Ct))).EnumerateArray());
        Assert.Equal(SimEndpoint, theirs.GetProperty("endpoint").GetString());
        Assert.StartsWith(SimEndpoint, theirs.GetProperty("kms_url").GetString());
        Assert.Equal(SimEndpoint, (await Json.ReadAsync(await admin.GetAsync($"/api/v1/teepods/{_teepodId}", Ct))).GetProperty("endpoint").GetString());
    }

    [Fact]
    public async Task The_available_nodes_carry_no_address_for_anyone()
    {
        // TeepodCapacity has no endpoint key in the contract; nothing else in a node may point at the host either.
        using var admin = await _app.AdminClientAsync();
        foreach (var client in new[] { _user, admin })
        {
            var body = await Json.ReadAsync(await client.GetAsync("/api/v1/teepods/available", Ct));
            var node = Assert.Single(body.GetProperty("nodes").EnumerateArray());
            Assert.Equal(_teepodId, node.GetProperty("teepod_id").GetInt64());
            Assert.False(node.TryGetProperty("endpoint", out _));
            AssertNoAddress(node.GetRawText());
        }
    }

    [Fact]
    public async Task A_users_view_of_last_error_has_no_address_and_an_admins_has_it()
    {
        await _sim.GoDownAsync();
        try
        {
            var pinger = (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;
            await pinger.PingAllAsync(Ct);
            using var admin = await _app.AdminClientAsync();

            var seen = Assert.Single((await Json.ReadAsync(await _user.GetAsync("/api/v1/teepods", Ct))).EnumerateArray());
            Assert.Equal("offline", seen.GetProperty("status").GetString());
            Assert.Equal("teepod 'tdx-1' is unreachable: Connection refused", seen.GetProperty("last_error").GetString());

            var full = (await Json.ReadAsync(await admin.GetAsync($"/api/v1/teepods/{_teepodId}", Ct))).GetProperty("last_error").GetString();
            Assert.Equal($"teepod 'tdx-1' ({SimEndpoint}) is unreachable: Connection refused", full);
        }
        finally
        {
            await _sim.ComeBackAsync();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_kms_and_its_relay_that_are_down_are_named_not_located_for_users()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = $"/api/v1/kms/local-kms/pubkey/{AppId}";
        using var admin = await _app.AdminClientAsync();
        await _sim.GoDownAsync();
        try
        {
            var detail = await Json.AssertDetailAsync(await _user.GetAsync(path, ct), HttpStatusCode.BadGateway);
            Assert.Equal("KMS 'local-kms' is unreachable; relaying failed: teepod 'tdx-1' is unreachable", detail);
            AssertNoAddress(detail);

            var full = await Json.AssertDetailAsync(await admin.GetAsync(path, ct), HttpStatusCode.BadGateway);
            Assert.Contains(_sim.KmsUrl.ToString().TrimEnd('/'), full);
            Assert.Contains($"teepod 'tdx-1' ({SimEndpoint}) is unreachable", full);
        }
        finally
        {
            await _sim.ComeBackAsync();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_relay_through_a_hung_teepod_times_out_under_its_label_for_users()
    {
        var ct = TestContext.Current.CancellationToken;
        // The simulator hangs only its vmm, so the KMS asked directly is one nobody reaches, which tdx-1 relays for.
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE teepods SET kms_url = @url WHERE id = @id", new { url = _deadKmsUrl, id = _teepodId });
        var path = $"/api/v1/kms/host-kms/pubkey/{AppId}";
        using var admin = await _app.AdminClientAsync();
        _sim.SetFault(FaultMode.Hang);
        try
        {
            var detail = await Json.AssertDetailAsync(await _user.GetAsync(path, ct), HttpStatusCode.BadGateway);
            Assert.Equal("KMS 'host-kms' is unreachable; relaying failed: teepod 'tdx-1' timed out on GetAppEnvEncryptPubKey", detail);
            AssertNoAddress(detail);
            var full = await Json.AssertDetailAsync(await admin.GetAsync(path, ct), HttpStatusCode.BadGateway);
            Assert.Contains(_deadKmsUrl, full);
            Assert.Contains($"teepod 'tdx-1' ({SimEndpoint}) did not answer GetAppEnvEncryptPubKey within 1000 ms", full);
        }
        finally
        {
            _sim.SetFault(FaultMode.None);
        }
    }

    /// <summary>
    /// A route in Cvms/, which names the host "the teepod" until it builds its client with VmmFor; then "teepod 'tdx-1'".
    /// Either way the user's detail has no address, and the admin's has the vmm's URL.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task Stopping_ones_own_cvm_on_a_down_or_hung_teepod_tells_the_user_no_address()
    {
        var ct = TestContext.Current.CancellationToken;
        _sim.State.AddVm(new VmSpec { Name = "dana-app", ComposeFile = """{"manifest_version":2,"name":"dana-app","runner":"docker-compose"}""" });
        var config = _app.Dir.File("cli.toml");
        await File.WriteAllTextAsync(config, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n", ct);
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("import", "--teepod", $"{_teepodId}", "--owner", "dana", "--config", config)).ExitCode);
        var cvm = Assert.Single((await Json.ReadAsync(await _user.GetAsync("/api/v1/cvms/paginated", ct))).GetProperty("items").EnumerateArray());
        var stop = $"/api/v1/cvms/{cvm.GetProperty("id").GetString()}/stop";
        using var admin = await _app.AdminClientAsync();

        await _sim.GoDownAsync();
        try
        {
            var down = await Json.AssertDetailAsync(await _user.PostAsync(stop, null, ct), HttpStatusCode.BadGateway);
            Assert.Matches("^(?:the teepod|teepod 'tdx-1') is unreachable$", down);
            AssertNoAddress(down);
            Assert.Contains(SimEndpoint, await Json.AssertDetailAsync(await admin.PostAsync(stop, null, ct), HttpStatusCode.BadGateway));
        }
        finally
        {
            await _sim.ComeBackAsync();
        }

        _sim.SetFault(FaultMode.Hang);
        try
        {
            var hung = await Json.AssertDetailAsync(await _user.PostAsync(stop, null, ct), HttpStatusCode.GatewayTimeout);
            Assert.Matches(@"^(?:the teepod|teepod 'tdx-1') timed out on \w+$", hung);
            AssertNoAddress(hung);
            Assert.Contains(SimEndpoint, await Json.AssertDetailAsync(await admin.PostAsync(stop, null, ct), HttpStatusCode.GatewayTimeout));
        }
        finally
        {
            _sim.SetFault(FaultMode.None);
        }
    }
}
