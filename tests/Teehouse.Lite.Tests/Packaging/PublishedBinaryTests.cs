using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Teehouse.Lite.Tests.Packaging;

/// <summary>
/// Proves the shipped artifact, not only the JIT build: the native-AOT `teehouse` published by scripts/publish.sh is
/// copied alone into an empty folder, configured, and driven over real HTTP as an operator would.
/// </summary>
public sealed class PublishedBinaryTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Binary()
    {
        var published = Environment.GetEnvironmentVariable("TEEHOUSE_BINARY");
        if (string.IsNullOrEmpty(published))
            Assert.Skip("TEEHOUSE_BINARY is not set; scripts/test.sh publishes the AOT binary and sets it");
        Assert.True(File.Exists(published), $"TEEHOUSE_BINARY={published} does not exist");
        var copy = _dir.File("teehouse");
        File.Copy(published, copy);
        return copy;
    }

    [Fact(Timeout = 120_000)]
    public async Task The_binary_links_no_sqlite_library()
    {
        var binary = Binary();
        var (code, output, _) = await ChildProcess.RunAsync("ldd", _dir.Path, TestContext.Current.CancellationToken, binary);
        Assert.Equal(0, code);
        Assert.DoesNotContain("sqlite", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("libc.so", output);
    }

    [Fact(Timeout = 120_000)]
    public async Task Alone_in_an_empty_folder_it_serves_the_api_with_the_auth_rules()
    {
        var binary = Binary();
        var port = ChildProcess.FreePort();
        File.WriteAllText(_dir.File("teehouse.toml"), $"""
            [server]
            listen = "127.0.0.1:{port}"
            [log]
            level = "information"
            """);

        var admin = await ChildProcess.RunAsync(binary, _dir.Path, TestContext.Current.CancellationToken, "token", "create", "--user", "admin", "--role", "admin");
        Assert.Equal(0, admin.ExitCode);
        var adminToken = admin.Out.Trim();
        var user = await ChildProcess.RunAsync(binary, _dir.Path, TestContext.Current.CancellationToken, "token", "create", "--user", "bob");
        var userToken = user.Out.Trim();
        Assert.StartsWith("thl_", userToken);

        using var server = ChildProcess.Start(binary, _dir.Path, "serve");
        var serverOutput = server.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(http, server, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/teepods")).StatusCode);

            using var asAdmin = new HttpRequestMessage(HttpMethod.Get, "/api/v1/teepods");
            asAdmin.Headers.Add("Authorization", $"Bearer {adminToken}");
            var list = await http.SendAsync(asAdmin);
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Equal("[]", await list.Content.ReadAsStringAsync());

            using var asUser = new HttpRequestMessage(HttpMethod.Get, "/api/v1/teepods/1");
            asUser.Headers.Add("X-API-Key", userToken);
            await Json.AssertDetailAsync(await http.SendAsync(asUser), HttpStatusCode.Forbidden);

            using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/me");
            me.Headers.Add("X-API-Key", userToken);
            var meBody = await Json.ReadAsync(await http.SendAsync(me));
            Assert.Equal("bob", meBody.GetProperty("user").GetProperty("username").GetString());

            var malformed = new HttpRequestMessage(HttpMethod.Get, "/api/v1/teepods/abc");
            malformed.Headers.Add("X-API-Key", adminToken);
            await Json.AssertValidationAsync(await http.SendAsync(malformed));

            // The operator surfaces whose libraries behave differently once trimmed and compiled ahead of time.
            var index = await Json.ReadAsync(await http.GetAsync("/"));
            Assert.Equal("/openapi.json", index.GetProperty("openapi").GetString());
            var served = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/openapi.json"));
            var committed = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "src/Teehouse.Lite/openapi.json")));
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(committed, served), "the native binary serves another OpenAPI document than the committed one");

            using var metrics = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            metrics.Headers.Add("Authorization", $"Bearer {adminToken}");
            var scrape = await (await http.SendAsync(metrics)).Content.ReadAsStringAsync();
            Assert.Contains("teehouse_teepods{", scrape);
            Assert.Contains("teehouse_database_size_bytes{", scrape);
            Assert.Contains("http_server_request_duration_seconds_count{", scrape);

            using var audit = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit");
            audit.Headers.Add("Authorization", $"Bearer {adminToken}");
            var entries = await Json.ReadAsync(await http.SendAsync(audit));
            Assert.Equal(2, entries.GetProperty("total").GetInt32()); // the two `token create` runs above
        }
        finally
        {
            // systemd stops the service with SIGTERM; it must shut down cleanly and promptly.
            Assert.Equal(0, Kill(server.Id, 15));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await server.WaitForExitAsync(timeout.Token);
        }
        Assert.Equal(0, server.ExitCode);
        var log = await serverOutput;
        Assert.Contains("HTTP GET /api/v1/teepods responded 200", log);
        Assert.DoesNotContain(adminToken, log);
        Assert.DoesNotContain(userToken, log);
        Assert.DoesNotContain("Exception", log);
        Assert.True(File.Exists(_dir.File("data/teehouse.db")));
    }

    [Fact(Timeout = 120_000)]
    public async Task Bad_config_and_bad_usage_exit_2_without_a_stack_trace()
    {
        var binary = Binary();
        File.WriteAllText(_dir.File("bad.toml"), "[server]\nlisten = 8080\n");
        var bad = await ChildProcess.RunAsync(binary, _dir.Path, TestContext.Current.CancellationToken, "config", "check", "bad.toml");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("bad.toml:2:10: 'server.listen': expected string, found integer", bad.Err);
        Assert.DoesNotContain("   at ", bad.Err);

        var usage = await ChildProcess.RunAsync(binary, _dir.Path, TestContext.Current.CancellationToken, "token", "create");
        Assert.Equal(2, usage.ExitCode);

        var help = await ChildProcess.RunAsync(binary, _dir.Path, TestContext.Current.CancellationToken, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("serve", help.Out);
    }

    [Fact(Timeout = 120_000)]
    [UnsupportedOSPlatform("windows")]
    public async Task Started_under_umask_022_it_keeps_database_logs_and_backups_private()
    {
        var binary = Binary();
        var port = ChildProcess.FreePort();
        File.WriteAllText(_dir.File("teehouse.toml"), $"""
            [server]
            listen = "127.0.0.1:{port}"
            """);
        // The operator's shell umask, not the test runner's: Program must tighten it before any file exists.
        string[] Umask022(params string[] args) => ["-c", "umask 022; exec \"$0\" \"$@\"", binary, .. args];

        var token = await ChildProcess.RunAsync("sh", _dir.Path, TestContext.Current.CancellationToken, Umask022("token", "create", "--user", "admin"));
        Assert.Equal(0, token.ExitCode);
        using (var server = ChildProcess.Start("sh", _dir.Path, Umask022("serve")))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(http, server, TestContext.Current.CancellationToken);
            Assert.Equal(0, Kill(server.Id, 15)); // exec: the shell's pid is teehouse's
            await server.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        var backup = await ChildProcess.RunAsync("sh", _dir.Path, TestContext.Current.CancellationToken, Umask022("backup", "copy.db"));
        Assert.Equal(0, backup.ExitCode);
        Assert.DoesNotContain("warning", backup.Err);

        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode directory = file | UnixFileMode.UserExecute;
        Assert.Equal(directory, File.GetUnixFileMode(_dir.File("data")));
        Assert.Equal(directory, File.GetUnixFileMode(_dir.File("data/logs")));
        Assert.Equal(file, File.GetUnixFileMode(_dir.File("data/teehouse.db")));
        Assert.All(Directory.GetFiles(_dir.File("data/logs")), log => Assert.Equal(file, File.GetUnixFileMode(log)));
        Assert.NotEmpty(Directory.GetFiles(_dir.File("data/logs")));
        Assert.Equal(file, File.GetUnixFileMode(_dir.File("copy.db")));
    }

    private static async Task WaitUntilUpAsync(HttpClient http, Process server, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (server.HasExited)
                Assert.Fail($"teehouse serve exited early with {server.ExitCode}: {await server.StandardError.ReadToEndAsync()}");
            try
            {
                if ((await http.GetAsync("/healthz", ct)).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException("teehouse serve did not answer /healthz within 20 s");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
