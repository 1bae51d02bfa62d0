using System.Text.Json;
using Teehouse.Lite.Tests.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Audit;

/// <summary>CLI commands in the audit log, run as real child processes against a running server's database.</summary>
public sealed class AuditCliTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private string _config = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app = await TestApp.StartAsync();
        _config = _app.Dir.File("cli.toml");
        await File.WriteAllTextAsync(_config, $"""
            [database]
            path = "{_app.Config.Database.Path}"
            [log]
            file = ""
            """, Ct);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private Task<(int ExitCode, string Out, string Err)> Cli(params string[] args) =>
        Packaging.ChildProcess.RunAsync(TeehouseCliProcess.Path, _app.Dir.Path, Ct, [.. args, "--config", _config]);

    [Fact]
    public async Task A_cli_command_is_recorded_without_its_secret_and_shows_in_teehouse_audit()
    {
        var created = await Cli("token", "create", "--user", "erin", "--role", "admin");
        Assert.True(created.ExitCode == 0, created.Err);
        var token = created.Out.Trim();
        var revoke = await Cli("token", "revoke", "99999");
        Assert.Equal(1, revoke.ExitCode);
        Assert.Equal(0, (await Cli("user", "list")).ExitCode);

        var json = await Cli("audit", "--json");
        Assert.True(json.ExitCode == 0, json.Err);
        Assert.DoesNotContain(token, json.Out, StringComparison.Ordinal);
        var lines = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["cli token revoke", "cli token create"], lines.Select(l => l.GetProperty("action").GetString()));
        Assert.Equal(("99999", 1, "error"), (lines[0].GetProperty("target").GetString(), lines[0].GetProperty("status").GetInt32(), lines[0].GetProperty("result").GetString()));
        Assert.Equal(("erin", 0, "ok", "local"), (lines[1].GetProperty("target").GetString(), lines[1].GetProperty("status").GetInt32(),
            lines[1].GetProperty("result").GetString(), lines[1].GetProperty("client_address").GetString()));
        Assert.StartsWith("cli:", lines[1].GetProperty("username").GetString());

        var table = await Cli("audit", "--target", "erin");
        Assert.Contains("cli token create", table.Out, StringComparison.Ordinal);
        Assert.StartsWith("TIME", table.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli("audit", "--since", "yesterday")).ExitCode);
    }
}
