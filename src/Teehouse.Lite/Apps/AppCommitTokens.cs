using System.Security.Cryptography;
using System.Text;
using Dapper;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Apps;

/// <summary>A row of app_commit_tokens: an instance prepared by a prepare-only request.</summary>
public sealed class AppCommitTokenRecord
{
    public long Id { get; set; }
    public string TokenHash { get; set; } = "";
    public long UserId { get; set; }
    public string AppId { get; set; } = "";
    public long TeepodId { get; set; }
    public string ComposeHash { get; set; } = "";
    public string ComposeFile { get; set; } = "";
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public long Vcpu { get; set; }
    public long Memory { get; set; }
    public long DiskSize { get; set; }
    public bool Listed { get; set; }
    public string EncryptedEnv { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public string ExpiresAt { get; set; } = "";
    public string? UsedAt { get; set; }
    public string? TransactionHash { get; set; }
    public long? CvmId { get; set; }
}

/// <summary>SQL for app_commit_tokens and for recording a new app instance as a CVM.</summary>
public sealed class AppCommitTokens(Db db)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private const string Columns = """
        id, token_hash, user_id, app_id, teepod_id, compose_hash, compose_file, name, image, vcpu, memory, disk_size,
        listed, encrypted_env, created_at, expires_at, used_at, transaction_hash, cvm_id
        """;

    /// <summary>A fresh token: 32 random bytes as hex, prefixed so it is recognisable in logs and shells.</summary>
    public static string NewToken() => "thct_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token.Trim())));

    public async Task SaveAsync(AppCommitTokenRecord t)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            INSERT INTO app_commit_tokens (token_hash, user_id, app_id, teepod_id, compose_hash, compose_file, name, image,
                vcpu, memory, disk_size, listed, encrypted_env, created_at, expires_at)
            VALUES (@TokenHash, @UserId, @AppId, @TeepodId, @ComposeHash, @ComposeFile, @Name, @Image, @Vcpu, @Memory,
                @DiskSize, @Listed, @EncryptedEnv, @CreatedAt, @ExpiresAt)
            """, t);
    }

    public async Task<AppCommitTokenRecord?> FindAsync(string token)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<AppCommitTokenRecord>(
            $"SELECT {Columns} FROM app_commit_tokens WHERE token_hash = @hash", new { hash = HashOf(token) });
    }

    /// <summary>Claims an unused token for one commit; false when another commit claimed it first.</summary>
    public async Task<bool> ClaimAsync(long id, string? transactionHash, string now)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("""
            UPDATE app_commit_tokens SET used_at = @now, transaction_hash = @transactionHash
            WHERE id = @id AND used_at IS NULL
            """, new { id, transactionHash, now }) == 1;
    }

    /// <summary>Gives a claimed token back after creating its VM failed, so the commit can be retried.</summary>
    public async Task ReleaseAsync(long id)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE app_commit_tokens SET used_at = NULL WHERE id = @id AND cvm_id IS NULL", new { id });
    }

    public async Task LinkAsync(long id, long cvmId)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE app_commit_tokens SET cvm_id = @cvmId WHERE id = @id", new { id, cvmId });
    }

    /// <summary>Records a VM just created for an app as the caller's CVM; returns its row id.</summary>
    public async Task<long> InsertCvmAsync(AppInstancePlan p, long userId, string vmId, VmInfo? info, string now)
    {
        await using var c = await db.OpenAsync();
        return await CvmStore.InsertCreatedAsync(c, null,
            new CreatedCvm(p.TeepodId, vmId, p.AppId, p.Name, p.Image, p.Vcpu, p.Memory, p.DiskSize, p.ComposeHash, userId, p.Listed),
            info, now);
    }
}

/// <summary>Everything that fixes a new instance of an app: what a prepare stores and a commit creates.</summary>
public sealed record AppInstancePlan(
    string AppId, long TeepodId, string ComposeHash, string ComposeFile, string Name, string Image, long Vcpu, long Memory,
    long DiskSize, bool Listed, string EncryptedEnv)
{
    public static AppInstancePlan From(AppCommitTokenRecord t) =>
        new(t.AppId, t.TeepodId, t.ComposeHash, t.ComposeFile, t.Name, t.Image, t.Vcpu, t.Memory, t.DiskSize, t.Listed, t.EncryptedEnv);
}
