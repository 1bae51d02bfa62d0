using System.Collections.Concurrent;
using Dapper;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Auth;

public sealed class TokenRecord
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public string Username { get; set; } = "";
    public string Role { get; set; } = "";
    public string TokenPrefix { get; set; } = "";
    public string Name { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public string? LastUsedAt { get; set; }
    public string? RevokedAt { get; set; }
}

/// <summary>API tokens by hash. The clear token exists only in the return value of <see cref="CreateAsync"/>.</summary>
public sealed class TokenStore(Db db)
{
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);
    // last_used_at is informational; writing it on every request would put a write lock on every read.
    private readonly ConcurrentDictionary<long, DateTime> _lastTouched = new();

    private const string Select = """
        SELECT t.id, t.user_id, u.username, u.role, t.token_prefix, t.name, t.created_at, t.last_used_at, t.revoked_at
        FROM api_tokens t JOIN users u ON u.id = t.user_id
        """;

    public async Task<(TokenRecord Record, string Token)> CreateAsync(UserRecord user, string name)
    {
        var token = ApiTokens.Generate();
        await using var c = await db.OpenAsync();
        var id = await c.ExecuteScalarAsync<long>("""
            INSERT INTO api_tokens (user_id, token_hash, token_prefix, name, created_at)
            VALUES (@userId, @hash, @prefix, @name, @now) RETURNING id
            """, new { userId = user.Id, hash = ApiTokens.Hash(token), prefix = ApiTokens.Prefix(token), name, now = Clock.NowText() });
        var record = await c.QuerySingleAsync<TokenRecord>($"{Select} WHERE t.id = @id", new { id });
        return (record, token);
    }

    /// <summary>The token's id and owner when it is active, in one query (the server asks <see cref="TokenCache"/> first).</summary>
    public async Task<TokenOwner?> FindOwnerAsync(string tokenHash)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<TokenOwner>("""
            SELECT t.id AS token_id, u.id, u.username, u.email, u.role, u.tier, u.credit_balance, u.granted_balance, u.created_at
            FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @tokenHash AND t.revoked_at IS NULL
            """, new { tokenHash });
    }

    public async Task<List<TokenRecord>> ListAsync(bool includeRevoked)
    {
        await using var c = await db.OpenAsync();
        var where = includeRevoked ? "" : " WHERE t.revoked_at IS NULL";
        return (await c.QueryAsync<TokenRecord>($"{Select}{where} ORDER BY t.id")).AsList();
    }

    public async Task<int> CountActiveAsync(long userId)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = @userId AND revoked_at IS NULL", new { userId });
    }

    /// <summary>Revokes a token; false when no active token has that id.</summary>
    public async Task<bool> RevokeAsync(long id)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("UPDATE api_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL",
            new { id, now = Clock.NowText() }) == 1;
    }

    /// <summary>Records that the token was used, at most once a minute per token.</summary>
    public async ValueTask TouchAsync(long id)
    {
        var now = DateTime.UtcNow;
        if (_lastTouched.TryGetValue(id, out var last) && now - last < TouchEvery) return;
        _lastTouched[id] = now;
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE api_tokens SET last_used_at = @now WHERE id = @id", new { id, now = Clock.ToText(now) });
    }
}

/// <summary>A token's id with its owner's columns (see <see cref="TokenStore.FindOwnerAsync"/>).</summary>
public sealed class TokenOwner
{
    public long TokenId { get; set; }
    public long Id { get; set; }
    public string Username { get; set; } = "";
    public string Email { get; set; } = "";
    public string Role { get; set; } = Roles.User;
    public string Tier { get; set; } = "FREE";
    public string CreditBalance { get; set; } = "0";
    public string GrantedBalance { get; set; } = "0";
    public string CreatedAt { get; set; } = "";

    public UserRecord ToUser() => new()
    {
        Id = Id, Username = Username, Email = Email, Role = Role, Tier = Tier, CreditBalance = CreditBalance,
        GrantedBalance = GrantedBalance, CreatedAt = CreatedAt,
    };
}
