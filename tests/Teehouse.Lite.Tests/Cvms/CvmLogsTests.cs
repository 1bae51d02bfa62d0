using System.Net;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// GET /api/v1/cvms/{id}/logs and the header-less syslog_endpoint, against the simulator: alice owns one CVM, bob one.
/// </summary>
public sealed class CvmLogsTests : IAsyncLifetime
{
    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;
    private HttpClient _anonymous = null!;
    private string _aliceCvm = "";
    private string _bobCvm = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Port = 0, PrepopulateVms = 1, LogHeartbeatInterval = TimeSpan.FromMilliseconds(100),
        });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.RequestTimeoutMs = 1500;
            c.Vmm.PingIntervalS = 3600;
        });
        using var admin = await _app.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        var teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
        _alice = await _app.UserClientAsync("alice");
        _bob = await _app.UserClientAsync("bob");
        _anonymous = _app.Client();
        Assert.Equal(ExitCodes.Ok, (await ImportAsync(teepodId, "alice")).ExitCode);
        _sim.State.AddVm(new VmSpec { Name = "bob-vm", ComposeFile = """{"manifest_version":2,"name":"bob-vm","runner":"docker-compose","docker_compose_file":"services: {}\n"}""" });
        Assert.Equal(ExitCodes.Ok, (await ImportAsync(teepodId, "bob")).ExitCode);
        _aliceCvm = await OnlyCvmAsync(_alice);
        _bobCvm = await OnlyCvmAsync(_bob);
    }

    public async ValueTask DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        _anonymous.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private Task<CliResult> ImportAsync(long teepodId, string owner) =>
        CliRunner.RunAsync("import", "--teepod", teepodId.ToString(), "--owner", owner, "--config", CliConfig());

    private string CliConfig()
    {
        var config = _app.Dir.File("cli.toml");
        File.WriteAllText(config, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n[vmm]\nrequest_timeout_ms = 2000\n");
        return config;
    }

    [Fact]
    public async Task The_logs_command_prints_a_cvms_log_from_its_vmm()
    {
        var serial = await CliRunner.RunAsync("logs", _aliceCvm, "--lines", "3", "--config", CliConfig());
        Assert.Equal(ExitCodes.Ok, serial.ExitCode);
        Assert.Equal(3, serial.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var stdout = await CliRunner.RunAsync("logs", "bob-vm", "--ch", "stdout", "--config", CliConfig());
        Assert.Equal(ExitCodes.Ok, stdout.ExitCode);
        Assert.Contains("Starting VM", stdout.Out);

        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync("logs", _aliceCvm, "--ch", "kernel", "--config", CliConfig())).ExitCode);
        var missing = await CliRunner.RunAsync("logs", "no-such-cvm", "--config", CliConfig());
        Assert.Equal(ExitCodes.Failure, missing.ExitCode);
        Assert.Contains("no CVM 'no-such-cvm'", missing.Err);

        await _sim.GoDownAsync();
        var down = await CliRunner.RunAsync("logs", _aliceCvm, "--config", CliConfig());
        Assert.Equal(ExitCodes.Failure, down.ExitCode);
        Assert.Contains(_aliceCvm, down.Err);
    }

    private static async Task<string> OnlyCvmAsync(HttpClient client)
    {
        var page = await Json.ReadAsync(await client.GetAsync("/api/v1/cvms/paginated", Ct));
        return Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("id").GetString()!;
    }

    [Theory]
    [InlineData("serial", "Linux version")]
    [InlineData("stdout", "app-1       | ready")]
    [InlineData("stderr", " Container ")]
    public async Task The_owner_reads_each_channel(string channel, string expected)
    {
        using var response = await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs?ch={channel}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains(expected, text);
        Assert.DoesNotContain("\u001b[", text); // ansi=false
    }

    [Fact]
    public async Task Lines_limits_the_tail_and_bad_query_values_are_422()
    {
        var text = await _alice.GetStringAsync($"/api/v1/cvms/{_aliceCvm}/logs?ch=serial&lines=2", Ct);
        Assert.Equal(2, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        foreach (var bad in new[] { "ch=kernel", "follow=maybe", "lines=-1", "lines=x" })
        {
            using var response = await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs?{bad}", Ct);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(JsonValueKind.Array, (await Json.ReadAsync(response)).GetProperty("detail").ValueKind);
        }
    }

    [Fact]
    public async Task Follow_streams_until_the_client_goes_away()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{_aliceCvm}/logs?ch=serial&follow=true&lines=1");
        using var response = await _alice.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        using var reader = new StreamReader(body);
        Assert.NotNull(await reader.ReadLineAsync(cts.Token)); // the tail
        Assert.Equal("[vmm heartbeat]", await reader.ReadLineAsync(cts.Token)); // still open, and passed through live
        Assert.Equal("[vmm heartbeat]", await reader.ReadLineAsync(cts.Token));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadLineAsync(cts.Token));

        // The app is not stuck on the abandoned stream.
        using var again = await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs?lines=1", Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Another_users_cvm_is_404_and_no_token_is_401()
    {
        using var other = await _bob.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs", Ct);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Contains("not found", (await Json.ReadAsync(other)).GetProperty("detail").GetString());

        using var anonymous = await _anonymous.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Not authenticated", (await Json.ReadAsync(anonymous)).GetProperty("detail").GetString());
        using var anonymousBadQuery = await _anonymous.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs?ch=kernel", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousBadQuery.StatusCode); // auth before validation, as elsewhere
    }

    [Theory]
    [InlineData("2025-10-28")]
    [InlineData("2026-01-21")]
    public async Task Syslog_endpoint_works_without_headers_for_that_cvm_only(string version)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{_aliceCvm}");
        request.Headers.Add("X-Phala-Version", version);
        using var detail = await _alice.SendAsync(request, Ct);
        var endpoint = (await Json.ReadAsync(detail)).GetProperty("syslog_endpoint").GetString()!;
        Assert.StartsWith($"{_app.BaseUrl.ToString().TrimEnd('/')}/api/v1/cvms/{_aliceCvm}/logs?cap=", endpoint);

        // What the phala CLI does: fetch(syslog_endpoint + "&ch=serial" + "&tail=..&lines=..&ansi"), no headers.
        using var plain = new HttpClient();
        using var logs = await plain.GetAsync($"{endpoint}&ch=serial&tail=100&lines=100&ansi", Ct);
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
        Assert.Contains("Linux version", await logs.Content.ReadAsStringAsync(Ct));

        var cap = endpoint[(endpoint.IndexOf("cap=", StringComparison.Ordinal) + 4)..];
        using var elsewhere = await plain.GetAsync($"{_app.BaseUrl}api/v1/cvms/{_bobCvm}/logs?cap={cap}&ch=serial", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.NotNull((await Json.ReadAsync(elsewhere)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Every_list_row_has_a_syslog_endpoint()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/cvms/paginated");
        request.Headers.Add("X-Phala-Version", "2025-10-28");
        using var page = await _alice.SendAsync(request, Ct);
        var row = Assert.Single((await Json.ReadAsync(page)).GetProperty("items").EnumerateArray());
        Assert.Contains($"/api/v1/cvms/{_aliceCvm}/logs?cap=", row.GetProperty("syslog_endpoint").GetString());
    }

    [Fact]
    public async Task A_tampered_or_expired_capability_is_refused()
    {
        byte[] key;
        await using (var c = await _app.Db.OpenAsync())
        {
            // Made by the first answer that names a syslog_endpoint.
            await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}", Ct);
            key = (await c.QueryAsync<byte[]>("SELECT key FROM log_capability_keys WHERE id = 1")).Single();
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var valid = LogCapabilities.Issue(key, _aliceCvm, now + 600);
        var expired = LogCapabilities.Issue(key, _aliceCvm, now - 1);
        var extended = $"{now + 99_999}{valid[valid.IndexOf('.', StringComparison.Ordinal)..]}";
        var flipped = valid[..^2] + (valid[^2] == 'A' ? 'B' : 'A') + valid[^1];
        var foreign = LogCapabilities.Issue(new byte[32], _aliceCvm, now + 600);

        Assert.Equal(HttpStatusCode.OK, (await CapAsync(valid)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CapAsync(expired)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CapAsync("garbage")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await CapAsync(extended)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await CapAsync(flipped)).StatusCode);
        var refused = await CapAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/json", refused.Content.Headers.ContentType?.MediaType);
    }

    private Task<HttpResponseMessage> CapAsync(string cap) =>
        _anonymous.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs?cap={Uri.EscapeDataString(cap)}&ch=stdout", Ct);

    [Fact]
    public async Task A_vmm_that_is_down_or_fails_is_json_before_any_byte()
    {
        _sim.SetFault(FaultMode.Error500);
        using var failing = await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs", Ct);
        Assert.Equal(HttpStatusCode.BadGateway, failing.StatusCode);
        Assert.Equal("application/json", failing.Content.Headers.ContentType?.MediaType);
        _sim.SetFault(FaultMode.None);

        await _sim.GoDownAsync();
        using var down = await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs?follow=true", Ct);
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        var detail = (await Json.ReadAsync(down)).GetProperty("detail").GetString()!;
        Assert.DoesNotContain(_sim.BaseUrl.Authority, detail); // users never see the vmm's address
    }

    [Fact]
    public async Task A_vm_the_vmm_no_longer_knows_is_404()
    {
        string uuid;
        await using (var c = await _app.Db.OpenAsync())
            uuid = (await c.QueryAsync<string>("SELECT vm_uuid FROM cvms WHERE hashed_id = @id", new { id = _aliceCvm })).Single();
        using var vmm = new HttpClient { BaseAddress = _sim.BaseUrl };
        (await vmm.PostAsync("prpc/RemoveVm?json", Json.Body($$"""{"id": "{{uuid}}"}"""), Ct)).EnsureSuccessStatusCode();
        for (var i = 0; i < 100 && _sim.State.GetVm(uuid) is not null; i++) await Task.Delay(50, Ct);
        using var response = await _alice.GetAsync($"/api/v1/cvms/{_aliceCvm}/logs", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_request_log_never_prints_the_capability()
    {
        string logs = "";
        await using var app = await TestApp.StartAsync(c =>
        {
            logs = Path.Combine(Path.GetDirectoryName(c.Database.Path)!, "logs");
            c.Log.File = Path.Combine(logs, "teehouse-.log");
            c.Log.Level = "information";
        });
        using var client = app.Client();
        using var response = await client.GetAsync("/api/v1/cvms/abcdef/logs?cap=1999999999.SECRETCAPABILITY&ch=serial", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var text = "";
        for (var i = 0; i < 100 && !text.Contains("/logs responded", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50, Ct);
            text = string.Concat(Directory.GetFiles(logs).Select(f =>
            {
                using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new StreamReader(stream).ReadToEnd();
            }));
        }
        Assert.Contains("/api/v1/cvms/abcdef/logs responded 403", text);
        Assert.DoesNotContain("SECRETCAPABILITY", text);
    }
}
