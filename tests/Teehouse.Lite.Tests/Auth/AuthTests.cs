using System.Net;
using System.Text.Json;
using Teehouse.Lite.Auth;

namespace Teehouse.Lite.Tests.Auth;

public sealed class AuthTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async ValueTask InitializeAsync() => _app = await TestApp.StartAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task No_token_is_401_with_a_json_detail()
    {
        var response = await _app.Client().GetAsync("/api/v1/teepods", TestContext.Current.CancellationToken);
        Assert.Equal("Not authenticated", await Json.AssertDetailAsync(response, HttpStatusCode.Unauthorized));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("thl_notarealtoken_notarealtoken_notarealtoken")]
    [InlineData("x")]
    [InlineData("thl_with spaces and \"quotes\" and more")]
    public async Task An_unknown_token_is_401(string token)
    {
        using var client = _app.Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-API-Key", token);
        var response = await client.GetAsync("/api/v1/teepods", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Json.AssertDetailAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bearer_and_x_api_key_both_authenticate(bool apiKeyHeader)
    {
        var token = await _app.CreateTokenAsync("bob");
        var response = await _app.Client(token, apiKeyHeader).GetAsync("/api/v1/teepods", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await Json.ReadAsync(response)).ValueKind);
    }

    [Fact]
    public async Task A_revoked_token_stops_working_at_once()
    {
        var token = await _app.CreateTokenAsync("carol");
        using var client = _app.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/auth/me", TestContext.Current.CancellationToken)).StatusCode);

        var store = new TokenStore(_app.Db);
        var id = (await store.ListAsync(includeRevoked: false)).Single(t => t.Username == "carol").Id;
        Assert.True(await store.RevokeAsync(id));
        Assert.False(await store.RevokeAsync(id));

        var response = await client.GetAsync("/api/v1/auth/me", TestContext.Current.CancellationToken);
        Assert.Equal("Invalid or revoked API token", await Json.AssertDetailAsync(response, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task A_user_on_an_admin_route_is_403_and_an_admin_passes()
    {
        using var user = await _app.UserClientAsync();
        var forbidden = await user.GetAsync("/api/v1/teepods/1", TestContext.Current.CancellationToken);
        Assert.Equal("This action requires the admin role", await Json.AssertDetailAsync(forbidden, HttpStatusCode.Forbidden));

        using var admin = await _app.AdminClientAsync();
        var missing = await admin.GetAsync("/api/v1/teepods/1", TestContext.Current.CancellationToken);
        Assert.Equal("Teepod 1 not found", await Json.AssertDetailAsync(missing, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Tokens_are_stored_only_as_hashes()
    {
        var token = await _app.CreateTokenAsync("dave");
        var bytes = await File.ReadAllBytesAsync(_app.Config.Database.Path, TestContext.Current.CancellationToken);
        var wal = _app.Config.Database.Path + "-wal";
        var walBytes = File.Exists(wal) ? await File.ReadAllBytesAsync(wal, TestContext.Current.CancellationToken) : [];
        var secret = System.Text.Encoding.UTF8.GetBytes(token[ApiTokens.Scheme.Length..]);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(secret));
        Assert.Equal(-1, walBytes.AsSpan().IndexOf(secret));
        Assert.NotEqual(-1, walBytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(ApiTokens.Hash(token)))
                            + bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(ApiTokens.Hash(token))) + 1);
    }
}
