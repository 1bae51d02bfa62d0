using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Upgrades;

/// <summary>A row of the compose_updates table: a provisioned, not necessarily applied, new app-compose of a CVM.</summary>
public sealed class ComposeUpdateRecord
{
    public long Id { get; set; }
    public long CvmId { get; set; }
    public long? UserId { get; set; }
    public string ComposeHash { get; set; } = "";
    public string ComposeFile { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public string ExpiresAt { get; set; } = "";
    public string? AppliedAt { get; set; }
    public string? CommitTokenHash { get; set; }
    public string? EncryptedEnv { get; set; }
    public string? UserConfig { get; set; }
    public string? TransactionHash { get; set; }
}

/// <summary>SQL for the compose_updates table, and the compose hash it leaves on the CVM's row.</summary>
public sealed class ComposeUpdateStore(Db db)
{
    private const string Columns = 
        "id, cvm_id, user_id, compose_hash, compose_file, created_at, expires_at, applied_at, commit_token_hash, encrypted_env, user_config, transaction_hash";

    /// <summary>Stores a pending update; provisioning the same compose again renews it (and makes it applicable again).</summary>
    public async Task<ComposeUpdateRecord> SaveAsync(ComposeUpdateRecord u)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleAsync<ComposeUpdateRecord>($"""
            INSERT INTO compose_updates (cvm_id, user_id, compose_hash, compose_file, created_at, expires_at,
                commit_token_hash, encrypted_env, user_config)
            VALUES (@CvmId, @UserId, @ComposeHash, @ComposeFile, @CreatedAt, @ExpiresAt, @CommitTokenHash, @EncryptedEnv, @UserConfig)
            ON CONFLICT (cvm_id, compose_hash) DO UPDATE SET user_id = excluded.user_id,
                compose_file = excluded.compose_file, expires_at = excluded.expires_at, applied_at = NULL,
                commit_token_hash = excluded.commit_token_hash, encrypted_env = excluded.encrypted_env,
                user_config = excluded.user_config, transaction_hash = NULL
            RETURNING {Columns}
            """, u);
    }

    public async Task<ComposeUpdateRecord?> FindAsync(long cvmId, string composeHash)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ComposeUpdateRecord>(
            $"SELECT {Columns} FROM compose_updates WHERE cvm_id = @cvmId AND compose_hash = @composeHash",
            new { cvmId, composeHash });
    }

    /// <summary>The prepared update a commit token (by its sha256) stands for.</summary>
    public async Task<ComposeUpdateRecord?> FindByTokenAsync(string tokenHash)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ComposeUpdateRecord>(
            $"SELECT {Columns} FROM compose_updates WHERE commit_token_hash = @tokenHash", new { tokenHash });
    }

    /// <summary>Claims a not yet applied update for one apply; false when another request claimed (or applied) it first.</summary>
    public async Task<bool> ClaimAsync(long id, string? transactionHash)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync(
            "UPDATE compose_updates SET applied_at = @now, transaction_hash = @transactionHash WHERE id = @id AND applied_at IS NULL",
            new { id, transactionHash, now = Clock.NowText() }) == 1;
    }

    /// <summary>Gives a claimed update back after writing it to the VM failed, so it can be retried.</summary>
    public async Task ReleaseAsync(long id)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE compose_updates SET applied_at = NULL, transaction_hash = NULL WHERE id = @id", new { id });
    }

    /// <summary>The update was written to the VM: remember it, and show the new hash on the CVM until the next sync.</summary>
    public Task MarkAppliedAsync(long id, long cvmId, string composeHash) =>
        db.InTransactionAsync(async (c, tx) =>
        {
            var now = Clock.NowText();
            await c.ExecuteAsync("UPDATE compose_updates SET applied_at = @now WHERE id = @id", new { id, now }, tx);
            await c.ExecuteAsync("UPDATE cvms SET compose_hash = @composeHash, updated_at = @now WHERE id = @cvmId",
                new { cvmId, composeHash, now }, tx);
            return 0;
        });

    /// <summary>A compose change made without a provision step (an env update that changed allowed_envs).</summary>
    public async Task SetCvmComposeHashAsync(long cvmId, string composeHash)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE cvms SET compose_hash = @composeHash, updated_at = @now WHERE id = @cvmId",
            new { cvmId, composeHash, now = Clock.NowText() });
    }
}
