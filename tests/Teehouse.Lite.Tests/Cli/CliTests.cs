using System.Net;
using Dapper;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _config;

    public CliTests()
    {
        _config = _dir.File("teehouse.toml");
        File.WriteAllText(_config, """
            [database]
            path = "db/teehouse.db"
            [log]
            file = ""
            [tiers.PRO]
            max_vcpu = 8
            """);
    }

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Run(params string[] args) => CliRunner.RunAsync([.. args, "--config", _config]);

    [Fact]
    public async Task Token_create_prints_the_token_alone_on_stdout()
    {
        var result = await Run("token", "create", "--user", "admin", "--role", "admin");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Matches(@"^thl_[A-Za-z0-9_-]{43}\n$", result.Out.Replace("\r", ""));
        Assert.Contains("Created user 'admin' with role 'admin'", result.Err);

        var list = await Run("token", "list");
        Assert.Equal(ExitCodes.Ok, list.ExitCode);
        Assert.Contains("admin", list.Out);
        Assert.DoesNotContain(result.Out.Trim(), list.Out);
        Assert.Contains(result.Out.Trim()[..12] + "…", list.Out);
    }

    [Fact]
    public async Task If_none_creates_only_the_first_token()
    {
        var first = await Run("token", "create", "--user", "admin", "--role", "admin", "--if-none");
        var second = await Run("token", "create", "--user", "admin", "--role", "admin", "--if-none");
        Assert.Equal(ExitCodes.Ok, first.ExitCode);
        Assert.StartsWith("thl_", first.Out);
        Assert.Equal(ExitCodes.Ok, second.ExitCode);
        Assert.Equal("", second.Out);
        Assert.Contains("already has an active token", second.Err);
    }

    [Fact]
    public async Task A_role_that_contradicts_an_existing_user_is_refused()
    {
        await Run("token", "create", "--user", "bob");
        var result = await Run("token", "create", "--user", "bob", "--role", "admin");
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("already exists with role 'user'", result.Err);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Revoking_works_once()
    {
        await Run("token", "create", "--user", "bob");
        Assert.Equal(ExitCodes.Ok, (await Run("token", "revoke", "1")).ExitCode);
        var again = await Run("token", "revoke", "1");
        Assert.Equal(ExitCodes.Failure, again.ExitCode);
        Assert.Contains("no active token with id 1", again.Err);
        Assert.Contains("revoked", (await Run("token", "list", "--all")).Out);
    }

    [Theory]
    [InlineData("token", "create")]                                  // --user missing
    [InlineData("token", "create", "--user", "x", "--role", "root")] // role out of range
    [InlineData("token", "create", "--user", "bad name!")]
    [InlineData("token", "revoke", "abc")]
    [InlineData("user", "set-credits", "bob", "-5")]
    [InlineData("user", "set-credits", "bob", "lots")]
    [InlineData("serve", "--listen", "nowhere")]
    [InlineData("frobnicate")]
    [InlineData("token")]
    public async Task Usage_errors_exit_2_with_a_message(params string[] args)
    {
        var result = await Run(args);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.NotEqual("", result.Err.Trim());
        Assert.DoesNotContain("   at ", result.Err); // no stack trace
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var result = await CliRunner.RunAsync("token", "create", "--help");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("--user", result.Out);
    }

    [Fact]
    public async Task A_bad_config_file_exits_2_naming_the_line()
    {
        File.WriteAllText(_config, "[database]\npth = \"x\"\n");
        var result = await Run("token", "list");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("teehouse.toml:2: unknown key 'database.pth'", result.Err);
    }

    [Fact]
    public async Task Users_get_credits_and_tiers()
    {
        await Run("token", "create", "--user", "carol");
        Assert.Equal(ExitCodes.Ok, (await Run("user", "set-credits", "carol", "12.50")).ExitCode);
        Assert.Equal(ExitCodes.Ok, (await Run("user", "set-tier", "carol", "PRO")).ExitCode);
        var unknownTier = await Run("user", "set-tier", "carol", "GOLD");
        Assert.Equal(ExitCodes.Failure, unknownTier.ExitCode);
        Assert.Contains("unknown tier 'GOLD'; the config defines: FREE, PRO", unknownTier.Err);
        var unknownUser = await Run("user", "set-credits", "nobody", "1");
        Assert.Equal(ExitCodes.Failure, unknownUser.ExitCode);

        var list = await Run("user", "list");
        Assert.Matches(@"carol\s+user\s+PRO\s+12\.5\s", list.Out);
    }

    [Fact]
    public async Task Config_check_prints_the_effective_config()
    {
        var result = await CliRunner.RunAsync("config", "check", _config);
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("listen = \"127.0.0.1:8080\"", result.Out);
        Assert.Contains($"path = \"{Path.Combine(_dir.Path, "db", "teehouse.db")}\"", result.Out);
        Assert.Contains("[tiers.PRO]", result.Out);
        Assert.Contains("configuration is valid", result.Err);
    }

    [Fact]
    public void Secrets_are_masked_in_printed_config() =>
        Assert.Equal("url = \"http://x\"\nauth_token = \"***\"\n  client_secret=\"***\"\n",
            ConfigCommands.Mask("url = \"http://x\"\nauth_token = \"abc\"\n  client_secret=\"s3cr3t\"\n"));

    [Fact]
    public async Task A_database_from_a_newer_binary_exits_1()
    {
        await Run("token", "create", "--user", "bob");
        var db = new Db(Path.Combine(_dir.Path, "db", "teehouse.db"), 1000);
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')");
        var result = await Run("user", "list");
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("schema version 999 is newer", result.Err);
    }

    [Fact]
    public async Task Backup_copies_a_live_database_consistently()
    {
        var token = (await Run("token", "create", "--user", "admin", "--role", "admin")).Out.Trim();
        var config = Teehouse.Lite.Infrastructure.Config.ConfigLoader.Load(_config);
        config.Log.Level = "warning";
        await using var app = await Teehouse.Lite.Hosting.ServerApp.BuildAsync(config,
            new Teehouse.Lite.Hosting.ServerOptions("127.0.0.1:0", ConsoleLog: false));
        await app.StartAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = Teehouse.Lite.Hosting.ServerApp.BoundAddress(app) };
        client.DefaultRequestHeaders.Add("X-API-Key", token);

        // Keep the server busy while the backup runs.
        var load = Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me")).StatusCode);
        });
        var target = _dir.File("backups/copy.db");
        var backup = await Run("backup", target);
        await load;
        Assert.Equal(ExitCodes.Ok, backup.ExitCode);

        var copy = new Db(target, 1000);
        await using (var c = await copy.OpenAsync())
        {
            Assert.Equal("ok", await c.ExecuteScalarAsync<string?>("PRAGMA integrity_check"));
            Assert.Equal("admin", await c.ExecuteScalarAsync<string?>("SELECT username FROM users"));
            Assert.Equal(Migrator.LatestVersion, await Migrator.CurrentVersionAsync(c));
        }

        var again = await Run("backup", target);
        Assert.Equal(ExitCodes.Failure, again.ExitCode);
        Assert.Contains("already exists", again.Err);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
