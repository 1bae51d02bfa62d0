using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Cvms;

/// <summary>Who an app id belongs to, as the apps table records it.</summary>
public enum AppOwnership
{
    /// <summary>No CVM of this app id was ever recorded: whoever commits first owns it.</summary>
    Unknown,
    Own,
    /// <summary>Another user's, or seen on a teepod and owned by nobody: only admins may act as it.</summary>
    Foreign,
}

public sealed partial class CvmStore
{
    public async Task<AppOwnership> OwnershipAsync(string appId, long userId)
    {
        await using var c = await db.OpenAsync();
        return Ownership(await c.ExecuteScalarAsync<long?>(OwnerSql, new { appId }), userId);
    }

    /// <summary>
    /// In a commit's transaction: the app id becomes the user's if nobody had it; answers whose it is now. An admin
    /// acting as another user's app leaves the owner as it was.
    /// </summary>
    internal static async Task<AppOwnership> ClaimAppAsync(SqliteConnection c, SqliteTransaction tx, string appId, long userId)
    {
        await c.ExecuteAsync("INSERT INTO apps (app_id, user_id, created_at) VALUES (@appId, @userId, @now) ON CONFLICT (app_id) DO NOTHING",
            new { appId, userId, now = Clock.NowText() }, tx);
        return Ownership(await c.ExecuteScalarAsync<long?>(OwnerSql, new { appId }, tx), userId) == AppOwnership.Own
            ? AppOwnership.Own
            : AppOwnership.Foreign;
    }

    /// <summary>Import and reconcile: an app seen for the first time belongs to the import's owner (or to nobody).</summary>
    internal const string RecordAppSql = """
        INSERT INTO apps (app_id, user_id, created_at) VALUES (@appId, @ownerId, @now)
        ON CONFLICT (app_id) DO UPDATE SET user_id = excluded.user_id WHERE apps.user_id IS NULL AND excluded.user_id IS NOT NULL
        """;

    // -1 for an app nobody owns, so "no row" (null) and "no owner" stay apart in one scalar.
    private const string OwnerSql = "SELECT COALESCE(user_id, -1) FROM apps WHERE app_id = @appId";

    /// <summary>Remembers the app's env-encryption key (the first one seen stays: the KMS derives it from the app id).</summary>
    internal static Task SetEnvPubkeyAsync(SqliteConnection c, SqliteTransaction? tx, string appId, string publicKey) =>
        c.ExecuteAsync("UPDATE apps SET env_pubkey = @publicKey WHERE app_id = @appId AND env_pubkey IS NULL",
            new { appId, publicKey }, tx);

    public async Task RememberEnvPubkeyAsync(string appId, string publicKey)
    {
        await using var c = await db.OpenAsync();
        await SetEnvPubkeyAsync(c, null, appId, publicKey);
    }

    private static AppOwnership Ownership(long? owner, long userId) =>
        owner is null ? AppOwnership.Unknown : owner == userId ? AppOwnership.Own : AppOwnership.Foreign;
}
