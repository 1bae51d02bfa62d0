using System.Net;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Auth;

/// <summary>GET /auth/me in the shapes the official SDK's zod schemas require (every key present, right types).</summary>
public sealed class CurrentUserTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async ValueTask InitializeAsync() => _app = await TestApp.StartAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task The_default_shape_is_2026_01_21()
    {
        var token = await _app.CreateTokenAsync("erin");
        await new UserStore(_app.Db).SetCreditsAsync("erin", 12.5m);
        var response = await _app.Client(token, apiKeyHeader: true).GetAsync("/api/v1/auth/me", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = await Json.ReadAsync(response);

        var user = me.GetProperty("user");
        Assert.Equal("erin", user.GetProperty("username").GetString());
        Assert.Equal("user", user.GetProperty("role").GetString());
        Assert.Equal("", user.GetProperty("email").GetString());
        Assert.Equal("", user.GetProperty("avatar").GetString());
        foreach (var flag in new[] { "email_verified", "totp_enabled", "has_backup_codes", "flag_has_password" })
            Assert.False(user.GetProperty(flag).GetBoolean());

        var workspace = me.GetProperty("workspace");
        Assert.Equal("erin", workspace.GetProperty("name").GetString());
        Assert.Equal("FREE", workspace.GetProperty("tier").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.String, workspace.GetProperty("id").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.String, workspace.GetProperty("role").ValueKind);
        Assert.True(workspace.TryGetProperty("slug", out _));

        var credits = me.GetProperty("credits");
        Assert.Equal("12.5", credits.GetProperty("balance").GetString());
        Assert.Equal("0", credits.GetProperty("granted_balance").GetString());
        Assert.False(credits.GetProperty("is_post_paid").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, credits.GetProperty("outstanding_amount").ValueKind);
    }

    [Fact]
    public async Task The_2025_10_28_shape_is_flat_with_numeric_credits()
    {
        var token = await _app.CreateTokenAsync("frank", Roles.Admin);
        await new UserStore(_app.Db).SetCreditsAsync("frank", 3m);
        using var client = _app.Client(token);
        client.DefaultRequestHeaders.Add("X-Phala-Version", "2025-10-28");
        var me = await Json.ReadAsync(await client.GetAsync("/api/v1/auth/me", TestContext.Current.CancellationToken));
        Assert.Equal("frank", me.GetProperty("username").GetString());
        Assert.Equal(3m, me.GetProperty("credits").GetDecimal());
        Assert.Equal(0m, me.GetProperty("granted_credits").GetDecimal());
        Assert.Equal("frank", me.GetProperty("team_name").GetString());
        Assert.Equal("FREE", me.GetProperty("team_tier").GetString());
        Assert.Equal("", me.GetProperty("avatar").GetString());
        Assert.Equal("", me.GetProperty("email").GetString());
    }
}
