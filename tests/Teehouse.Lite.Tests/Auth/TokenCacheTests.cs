using System.Net;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Tests.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Auth;

/// <summary>Authentication reads no table once a token is known, and still honours every change on the next request.</summary>
public sealed class TokenCacheTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private string _config = null!;

    public async ValueTask InitializeAsync()
    {
        _app = await TestApp.StartAsync();
        _config = _app.Dir.File("cli.toml");
        await File.WriteAllTextAsync(_config, $"""
            [database]
            path = "{_app.Config.Database.Path}"
            [log]
            file = ""
            """, TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<(int ExitCode, string Out, string Err)> Cli(params string[] args) =>
        Packaging.ChildProcess.RunAsync(TeehouseCliProcess.Path, _app.Dir.Path, Ct, [.. args, "--config", _config]);

    [Fact]
    public async Task A_token_revoked_by_another_process_is_refused_on_the_next_request()
    {
        var token = await _app.CreateTokenAsync("gina");
        using var client = _app.Client(token);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me", Ct)).StatusCode);

        var id = (await new TokenStore(_app.Db).ListAsync(includeRevoked: false)).Single(t => t.Username == "gina").Id;
        var revoke = await Cli("token", "revoke", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(revoke.ExitCode == 0, revoke.Err);

        var response = await client.GetAsync("/api/v1/auth/me", Ct);
        Assert.Equal("Invalid or revoked API token", await Json.AssertDetailAsync(response, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task A_credit_change_by_another_process_shows_on_the_next_request()
    {
        var token = await _app.CreateTokenAsync("hank");
        using var client = _app.Client(token);
        var before = await Json.ReadAsync(await client.GetAsync("/api/v1/auth/me", Ct));
        Assert.NotEqual("42", Credits(before));
        Assert.NotEqual("42.00", Credits(before));

        var set = await Cli("user", "set-credits", "hank", "42");
        Assert.True(set.ExitCode == 0, set.Err);

        Assert.Equal("42", Credits(await Json.ReadAsync(await client.GetAsync("/api/v1/auth/me", Ct))));
    }

    [Fact]
    public async Task A_known_token_is_answered_from_memory_until_the_auth_counter_moves()
    {
        var token = await _app.CreateTokenAsync("ivy");
        using var client = _app.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me", Ct)).StatusCode);

        // Behind the triggers' back the token no longer matches its row: only a lookup in memory still accepts it.
        await using (var c = await _app.Db.OpenAsync())
        {
            await c.ExecuteAsync("DROP TRIGGER api_tokens_changed_update");
            await c.ExecuteAsync("UPDATE api_tokens SET token_hash = 'x' || token_hash WHERE name = 'test'");
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me", Ct)).StatusCode);

        // Any real change of tokens or users moves the counter, and the map is rebuilt from the table.
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE change_counters SET n = n + 1 WHERE area = 'auth'");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/auth/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_token_is_never_remembered()
    {
        using var client = _app.Client("thl_" + new string('a', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/auth/me", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/auth/me", Ct)).StatusCode);
    }

    private static string Credits(JsonElement me) => me.GetProperty("credits").GetProperty("balance").GetString()!;
}
