using System.Net.Sockets;
using System.Net;
using Teehouse.Lite.Tests.Packaging;

namespace Teehouse.Lite.Tests.Hosting;

/// <summary>
/// Each way a new operator's first start goes wrong ends in one line on stderr that names what and where, and exit
/// 1, from the real binary: never a stack trace and SIGABRT, which under systemd Restart=on-failure is a crash loop.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StartupErrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public StartupErrorTests()
    {
        // nobody must reach the folder; what it may write is set per test.
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b_111_101_101);
        Config("""
            [database]
            path = "data/teehouse.db"
            [log]
            file = ""
            """);
    }

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.File("data/teehouse.db");

    private void Config(string toml) => File.WriteAllText(_dir.File("teehouse.toml"), toml);

    private Task<(int ExitCode, string Out, string Err)> Run(bool asNobody, params string[] args) =>
        ServeProcess.RunAsync(TestContext.Current.CancellationToken, _dir.Path, asNobody, args);

    private async Task MakeDataDirectoryForNobodyAsync()
    {
        Directory.CreateDirectory(_dir.File("data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await ServeProcess.ChownToNobodyAsync(_dir.File("data"), TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_port_in_use_is_one_line()
    {
        var ct = TestContext.Current.CancellationToken;
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, stdout, stderr) = await Run(false, "serve", "--listen", $"127.0.0.1:{port}");
        ServeProcess.AssertOneLine($"teehouse: cannot listen on 127.0.0.1:{port}: address already in use", stderr, stdout);
        Assert.Equal(1, code);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_address_this_host_does_not_have_is_one_line()
    {
        var ct = TestContext.Current.CancellationToken;
        // TEST-NET-1 (RFC 5737) is assigned to no host; only bind(2) is tried, no packet is sent.
        var (code, stdout, stderr) = await Run(false, "serve", "--listen", "192.0.2.1:8080");
        ServeProcess.AssertOneLine("teehouse: cannot listen on 192.0.2.1:8080: address not available on this host", stderr, stdout);
        Assert.Equal(1, code);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_privileged_port_as_a_normal_user_names_the_capability()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim());
        if (start <= 80) Assert.Skip($"net.ipv4.ip_unprivileged_port_start is {start}: port 80 needs no privilege here");
        await MakeDataDirectoryForNobodyAsync();
        var (code, stdout, stderr) = await Run(true, "serve", "--listen", "127.0.0.1:80");
        ServeProcess.AssertOneLine(
            "teehouse: cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)", stderr, stdout);
        Assert.Equal(1, code);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_data_directory_the_user_cannot_write_is_named()
    {
        var ct = TestContext.Current.CancellationToken;
        // The folder holding data/ is root's 0755: nobody can create data/ in it.
        var missing = await Run(true, "token", "create", "--user", "admin");
        ServeProcess.AssertOneLine($"teehouse: cannot create data directory {_dir.File("data")}: {_dir.Path} is not writable by user nobody",
            missing.Err, missing.Out);
        Assert.Equal(1, missing.ExitCode);

        Directory.CreateDirectory(_dir.File("data"));
        File.SetUnixFileMode(_dir.File("data"), (UnixFileMode)0b_111_101_101);
        foreach (var args in new[] { new[] { "serve" }, ["token", "create", "--user", "admin"], ["user", "list"] })
        {
            var (code, stdout, stderr) = await Run(true, args);
            ServeProcess.AssertOneLine($"teehouse: data directory {_dir.File("data")} is not writable by user nobody", stderr, stdout);
            Assert.Equal(1, code);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_database_left_owned_by_root_is_named_with_the_fix()
    {
        var ct = TestContext.Current.CancellationToken;
        // `sudo teehouse token create …` before the service ever ran: the file is root's, the directory the service user's.
        await MakeDataDirectoryForNobodyAsync();
        var root = await Run(false, "token", "create", "--user", "admin", "--role", "admin");
        Assert.True(root.ExitCode == 0, root.Err);

        var expected = $"teehouse: database {Db} is read-only for user nobody (owned by root; fix with: chown nobody {Db}*)";
        foreach (var args in new[] { new[] { "serve" }, ["user", "list"], ["token", "create", "--user", "bob"] })
        {
            var (code, stdout, stderr) = await Run(true, args);
            ServeProcess.AssertOneLine(expected, stderr, stdout);
            Assert.Equal(1, code);
        }

        // Readable but not writable (a 0644 file from an old umask) is caught at open too, not at the first write.
        File.SetUnixFileMode(Db, (UnixFileMode)0b_110_100_100);
        var readable = await Run(true, "token", "create", "--user", "bob");
        Assert.Equal(1, readable.ExitCode);
        Assert.EndsWith(expected + "\n", readable.Err.Replace("\r", ""));
        Assert.DoesNotContain("   at ", readable.Err);
    }

    [Fact(Timeout = 90_000)]
    public async Task A_second_server_on_the_same_database_is_refused_but_commands_still_work()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ChildProcess.FreePort();
        using var first = ServeProcess.Start(_dir.Path, false, "serve", "--listen", $"127.0.0.1:{port}");
        using var http = new HttpClient();
        await first.WaitUntilHealthyAsync(http, $"http://127.0.0.1:{port}/healthz", ct);
        // Read by another process, as an operator would: .NET's own FileShare emulation would refuse the locked file.
        var (_, pid, _) = await ChildProcess.RunAsync("cat", _dir.Path, ct, Db + ".lock");
        Assert.Equal($"{first.Id}\n", pid);

        var second = await Run(false, "serve", "--listen", $"127.0.0.1:{ChildProcess.FreePort()}");
        ServeProcess.AssertOneLine($"teehouse: another teehouse server (pid {first.Id}) is already serving {Db}", second.Err, second.Out);
        Assert.Equal(1, second.ExitCode);

        var token = await Run(false, "token", "create", "--user", "admin");
        Assert.True(token.ExitCode == 0, token.Err);
        Assert.StartsWith("thl_", token.Out);

        // The kernel drops the lock with the process: the file left behind does not block the next start.
        first.Dispose();
        var nextPort = ChildProcess.FreePort();
        using var next = ServeProcess.Start(_dir.Path, false, "serve", "--listen", $"127.0.0.1:{nextPort}");
        await next.WaitUntilHealthyAsync(http, $"http://127.0.0.1:{nextPort}/healthz", ct);
    }

    [Fact(Timeout = 90_000)]
    public async Task An_unwritable_log_directory_is_one_warning_and_the_server_answers()
    {
        var ct = TestContext.Current.CancellationToken;
        await MakeDataDirectoryForNobodyAsync();
        Directory.CreateDirectory(_dir.File("logs"));
        File.SetUnixFileMode(_dir.File("logs"), (UnixFileMode)0b_111_101_101);
        Config("""
            [database]
            path = "data/teehouse.db"
            [log]
            file = "logs/teehouse-.log"
            """);
        var port = ChildProcess.FreePort();
        using var server = ServeProcess.Start(_dir.Path, true, "serve", "--listen", $"127.0.0.1:{port}");
        using var http = new HttpClient();
        await server.WaitUntilHealthyAsync(http, $"http://127.0.0.1:{port}/healthz", ct);
        Assert.Equal($"teehouse: warning: log directory {_dir.File("logs")} is not writable by user nobody; logging to the console only\n",
            server.Err.Replace("\r", ""));
        Assert.Contains("listening on", server.Out);
        Assert.Empty(Directory.GetFiles(_dir.File("logs")));
    }

    [Fact(Timeout = 90_000)]
    public async Task Plain_http_beyond_loopback_is_one_warning_and_no_key_ring_is_written()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ChildProcess.FreePort();
        using var server = ServeProcess.Start(_dir.Path, false, "serve", "--listen", $"0.0.0.0:{port}");
        using var http = new HttpClient();
        await server.WaitUntilHealthyAsync(http, $"http://127.0.0.1:{port}/healthz", ct);
        Assert.Equal($"teehouse: warning: serving plain HTTP on 0.0.0.0:{port}, beyond loopback: API tokens travel in the clear; " +
                     "set [server] tls_cert and tls_key, or put a TLS proxy in front\n", server.Err.Replace("\r", ""));
        // The data-protection key ring stays in memory: no ~/.aspnet (a systemd DynamicUser has no home), no warning.
        Assert.False(Directory.Exists(_dir.File("home/.aspnet")), "a DataProtection key directory was created under $HOME");
        Assert.DoesNotContain("DataProtection", server.Out);
        Assert.DoesNotContain("XML encryptor", server.Out);
    }

    [Fact(Timeout = 90_000)]
    public async Task A_loopback_listen_gives_no_warning()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ChildProcess.FreePort();
        using var server = ServeProcess.Start(_dir.Path, false, "serve", "--listen", $"127.0.0.1:{port}");
        using var http = new HttpClient();
        await server.WaitUntilHealthyAsync(http, $"http://127.0.0.1:{port}/healthz", ct);
        Assert.Equal("", server.Err);
    }
}
