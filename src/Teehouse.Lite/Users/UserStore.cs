using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Users;

/// <summary>Users: who they are, their role, tier and credit balance.</summary>
public sealed class UserStore(Db db)
{
    private const string Columns = "id, username, email, role, tier, credit_balance, granted_balance, created_at";

    public async Task<UserRecord?> FindByIdAsync(long id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<UserRecord>($"SELECT {Columns} FROM users WHERE id = @id", new { id });
    }

    /// <summary>The user as it is now, inside another store's transaction (a commit re-reads credits and tier).</summary>
    public static Task<UserRecord?> FindByIdAsync(SqliteConnection c, SqliteTransaction tx, long id) =>
        c.QuerySingleOrDefaultAsync<UserRecord>($"SELECT {Columns} FROM users WHERE id = @id", new { id }, tx);

    public async Task<UserRecord?> FindByNameAsync(string username)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<UserRecord>($"SELECT {Columns} FROM users WHERE username = @username", new { username });
    }

    public async Task<List<UserRecord>> ListAsync()
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<UserRecord>($"SELECT {Columns} FROM users ORDER BY id")).AsList();
    }

    /// <summary>Returns the user, creating it with <paramref name="role"/> when missing. The bool says whether it was created.</summary>
    public Task<(UserRecord User, bool Created)> GetOrCreateAsync(string username, string role, string tier = "FREE") =>
        db.InTransactionAsync(async (c, tx) =>
        {
            var existing = await c.QuerySingleOrDefaultAsync<UserRecord>(
                $"SELECT {Columns} FROM users WHERE username = @username", new { username }, tx);
            if (existing is not null) return (existing, false);
            var id = await c.ExecuteScalarAsync<long>(
                "INSERT INTO users (username, role, tier, created_at) VALUES (@username, @role, @tier, @now) RETURNING id",
                new { username, role, tier, now = Clock.NowText() }, tx);
            var created = await c.QuerySingleAsync<UserRecord>($"SELECT {Columns} FROM users WHERE id = @id", new { id }, tx);
            return (created, true);
        });

    public async Task<bool> SetCreditsAsync(string username, decimal balance)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("UPDATE users SET credit_balance = @balance WHERE username = @username",
            new { username, balance = Credits.Format(balance) }) == 1;
    }

    public async Task<bool> SetTierAsync(string username, string tier)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("UPDATE users SET tier = @tier WHERE username = @username", new { username, tier }) == 1;
    }
}
