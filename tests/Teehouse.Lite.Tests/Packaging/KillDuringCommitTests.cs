using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Packaging;

/// <summary>
/// The published binary is killed with SIGKILL while a commit waits for CreateVm to answer: the vmm has made the VM,
/// the database has not heard of it. After a restart, the client's retry and the pinger must each find that VM and
/// record it once: no lost deploy, no twin VM.
/// </summary>
public sealed class KillDuringCommitTests : IAsyncDisposable
{
    private const string Compose = "services:\n  web:\n    image: nginx\n";

    private readonly TempDir _dir = new();
    private SimulatorHost? _sim;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_sim is not null) await _sim.DisposeAsync();
        _dir.Dispose();
    }

    [Fact(Timeout = 180_000)]
    public async Task A_commit_killed_after_create_vm_is_adopted_by_the_retry_and_by_the_ping()
    {
        var binary = PublishedBinary.CopyTo(_dir);
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 0 });
        var port = ChildProcess.FreePort();
        File.WriteAllText(_dir.File("teehouse.toml"), $"""
            [server]
            listen = "127.0.0.1:{port}"
            [vmm]
            ping_interval_s = 1
            [tiers.FREE]
            max_instances = 5
            max_vcpu = 16
            max_memory = 65536
            max_disk = 1000
            """);
        var adminToken = (await ChildProcess.RunAsync(binary, _dir.Path, Ct, "token", "create", "--user", "admin", "--role", "admin")).Out.Trim();
        var userToken = (await ChildProcess.RunAsync(binary, _dir.Path, Ct, "token", "create", "--user", "bob")).Out.Trim();
        Assert.Equal(0, (await ChildProcess.RunAsync(binary, _dir.Path, Ct, "user", "set-credits", "bob", "10")).ExitCode);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var server = await StartAsync(binary, http);
        try
        {
            using (var register = new HttpRequestMessage(HttpMethod.Post, "/api/v1/teepods"))
            {
                register.Headers.Add("Authorization", $"Bearer {adminToken}");
                register.Content = Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}""");
                Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(register, Ct)).StatusCode);
            }

            // Round 1: killed mid-commit, then the client retries.
            var first = await ProvisionAsync(http, userToken, "killed-once");
            server = await KillDuringCommitAsync(binary, http, server, userToken, first, expectedVms: 1);
            var retried = await Json.ReadAsync(await CommitAsync(http, userToken, first));
            Assert.Equal(_sim.State.ListVms().Single().Id, retried.GetProperty("vm_uuid").GetString());
            Assert.Equal(1, _sim.State.VmCount);

            // Round 2: killed mid-commit, and the next ping (1 s) records the CVM before anyone retries.
            var second = await ProvisionAsync(http, userToken, "killed-twice");
            server = await KillDuringCommitAsync(binary, http, server, userToken, second, expectedVms: 2);
            var orphan = _sim.State.ListVms().Single(v => v.AppId == second.GetProperty("app_id").GetString()).Id;
            var deadline = Stopwatch.StartNew();
            while (!(await ListAsync(http, userToken)).Contains(orphan))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the pinger never recorded the CVM of the killed commit");
                await Task.Delay(200, Ct);
            }
            var late = await Json.ReadAsync(await CommitAsync(http, userToken, second));
            Assert.Equal(orphan, late.GetProperty("vm_uuid").GetString());
            Assert.Equal(2, _sim.State.VmCount);
            Assert.Equal(2, (await ListAsync(http, userToken)).Count);
        }
        finally
        {
            if (!server.HasExited) Kill(server.Id, 9);
            server.Dispose();
        }
    }

    private async Task<Process> KillDuringCommitAsync(
        string binary, HttpClient http, Process server, string token, JsonElement provision, int expectedVms)
    {
        _sim!.State.Options.CreateVmReplyDelay = TimeSpan.FromSeconds(30);
        var commit = CommitAsync(http, token, provision);
        var deadline = Stopwatch.StartNew();
        while (_sim.State.VmCount < expectedVms)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "CreateVm never reached the simulator");
            await Task.Delay(20, Ct);
        }
        Assert.Equal(0, Kill(server.Id, 9));
        await server.WaitForExitAsync(Ct);
        server.Dispose();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => commit);
        _sim.State.Options.CreateVmReplyDelay = TimeSpan.Zero;
        return await StartAsync(binary, http);
    }

    private async Task<Process> StartAsync(string binary, HttpClient http)
    {
        var server = ChildProcess.Start(binary, _dir.Path, "serve");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (server.HasExited) Assert.Fail($"teehouse serve exited with {server.ExitCode}: {await server.StandardError.ReadToEndAsync(Ct)}");
            try
            {
                if ((await http.GetAsync("/healthz", Ct)).StatusCode == HttpStatusCode.OK) return server;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException("teehouse serve did not come up");
    }

    private static async Task<JsonElement> ProvisionAsync(HttpClient http, string token, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cvms/provision");
        request.Headers.Add("X-API-Key", token);
        request.Content = Json.Body($$$"""
            {"name": "{{{name}}}", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{{JsonEncodedText.Encode(Compose)}}}", "kms_enabled": true}}
            """);
        var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    private static Task<HttpResponseMessage> CommitAsync(HttpClient http, string token, JsonElement provision)
    {
        var pubkey = Convert.FromHexString(provision.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var env = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, """{"env":[{"key":"A","value":"b"}]}"""));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cvms");
        request.Headers.Add("X-API-Key", token);
        request.Content = Json.Body($$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}",
             "encrypted_env": "{{env}}"}
            """);
        return http.SendAsync(request, Ct);
    }

    private static async Task<List<string>> ListAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/cvms/paginated");
        request.Headers.Add("X-API-Key", token);
        var page = await Json.ReadAsync(await http.SendAsync(request, Ct));
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("vm_uuid").GetString()!)];
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>The native binary scripts/test.sh published, copied alone into a test's folder (skipped when absent).</summary>
public static class PublishedBinary
{
    public static string CopyTo(TempDir dir)
    {
        var published = Environment.GetEnvironmentVariable("TEEHOUSE_BINARY");
        if (string.IsNullOrEmpty(published))
            Assert.Skip("TEEHOUSE_BINARY is not set; scripts/test.sh publishes the AOT binary and sets it");
        Assert.True(File.Exists(published), $"TEEHOUSE_BINARY={published} does not exist");
        var copy = dir.File("teehouse");
        File.Copy(published, copy);
        return copy;
    }
}
