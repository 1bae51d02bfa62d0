using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Pending;

/// <summary>
/// SQL for pending_operations, the one table behind every prepare-then-commit flow. A commit claims its operation with
/// one conditional UPDATE inside the caller's transaction, so two commits of the same operation can never both win.
/// </summary>
public sealed class PendingStore(Db db)
{
    /// <summary>Who holds a claim: this process. A claim by any other holder outlived its process (a crash, a kill).</summary>
    public static readonly string ThisProcess = $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    private const string Columns = """
        id, kind, lookup_key, token_hash, user_id, app_id, cvm_id, teepod_id, compose_hash, payload, vcpu, memory,
        disk_size, created_at, expires_at, state, claim_owner, claimed_at, transaction_hash, result_cvm_id, done_at
        """;

    /// <summary>
    /// Stores a prepared operation; preparing the same thing again (same kind and key) renews it while it is pending.
    /// With <paramref name="renewDone"/> a finished one is prepared afresh too (applying a compose a CVM had before).
    /// </summary>
    /// <returns>null when the same operation is being committed, or is done and may not be renewed.</returns>
    public async Task<PendingOperation?> SaveAsync(PendingOperation op, bool renewDone = false)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<PendingOperation>($"""
            INSERT INTO pending_operations (kind, lookup_key, token_hash, user_id, app_id, cvm_id, teepod_id, compose_hash,
                payload, vcpu, memory, disk_size, created_at, expires_at)
            VALUES (@Kind, @LookupKey, @TokenHash, @UserId, @AppId, @CvmId, @TeepodId, @ComposeHash, @Payload, @Vcpu,
                @Memory, @DiskSize, @CreatedAt, @ExpiresAt)
            ON CONFLICT (kind, lookup_key) DO UPDATE SET token_hash = excluded.token_hash, user_id = excluded.user_id,
                teepod_id = excluded.teepod_id, payload = excluded.payload, vcpu = excluded.vcpu, memory = excluded.memory,
                disk_size = excluded.disk_size, created_at = excluded.created_at, expires_at = excluded.expires_at,
                state = 'pending', claim_owner = NULL, claimed_at = NULL, transaction_hash = NULL, result_cvm_id = NULL,
                done_at = NULL
            WHERE pending_operations.state = 'pending' OR (@renewDone AND pending_operations.state = 'done')
            RETURNING {Columns}
            """, new
        {
            op.Kind, op.LookupKey, op.TokenHash, op.UserId, op.AppId, op.CvmId, op.TeepodId, op.ComposeHash, op.Payload,
            op.Vcpu, op.Memory, op.DiskSize, op.CreatedAt, op.ExpiresAt, renewDone,
        });
    }

    public async Task<PendingOperation?> FindAsync(string kind, string lookupKey)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<PendingOperation>(
            $"SELECT {Columns} FROM pending_operations WHERE kind = @kind AND lookup_key = @lookupKey", new { kind, lookupKey });
    }

    public async Task<PendingOperation?> FindByTokenAsync(string kind, string token)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<PendingOperation>(
            $"SELECT {Columns} FROM pending_operations WHERE kind = @kind AND token_hash = @hash",
            new { kind, hash = CommitTokens.HashOf(token) });
    }

    public static Task<PendingOperation?> GetAsync(SqliteConnection c, SqliteTransaction tx, long id) =>
        c.QuerySingleOrDefaultAsync<PendingOperation>($"SELECT {Columns} FROM pending_operations WHERE id = @id", new { id }, tx);

    /// <summary>
    /// Claims the operation for one commit: from <paramref name="fromState"/> held by <paramref name="fromOwner"/>
    /// (null for an unclaimed one) to committing by this process. False when anyone else changed it first.
    /// </summary>
    public static async Task<bool> ClaimAsync(
        SqliteConnection c, SqliteTransaction tx, long id, string fromState, string? fromOwner, string? transactionHash, string now) =>
        await c.ExecuteAsync("""
            UPDATE pending_operations SET state = 'committing', claim_owner = @owner, claimed_at = @now,
                transaction_hash = COALESCE(@transactionHash, transaction_hash)
            WHERE id = @id AND state = @fromState AND claim_owner IS @fromOwner
            """, new { id, fromState, fromOwner, owner = ThisProcess, transactionHash, now }, tx) == 1;

    /// <summary>Gives a claim back when the commit certainly did nothing (the vmm refused), so it can be retried.</summary>
    public async Task ReleaseAsync(long id)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            UPDATE pending_operations SET state = 'pending', claim_owner = NULL, claimed_at = NULL, transaction_hash = NULL
            WHERE id = @id AND state = 'committing' AND claim_owner = @owner
            """, new { id, owner = ThisProcess });
    }

    /// <summary>Marks the operation done (with the CVM it created or changed), in the transaction that recorded it.</summary>
    public static Task CompleteAsync(SqliteConnection c, SqliteTransaction tx, long id, long? resultCvmId, string now) =>
        c.ExecuteAsync("""
            UPDATE pending_operations SET state = 'done', result_cvm_id = @resultCvmId, done_at = @now WHERE id = @id
            """, new { id, resultCvmId, now }, tx);

    /// <summary>Operations of <paramref name="kind"/> whose commit was claimed but never finished, on one teepod.</summary>
    public async Task<List<PendingOperation>> CommittingAsync(string kind, long teepodId)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<PendingOperation>(
            $"SELECT {Columns} FROM pending_operations WHERE kind = @kind AND teepod_id = @teepodId AND state = 'committing'",
            new { kind, teepodId })).AsList();
    }

    /// <summary>
    /// Resources held by claimed, unfinished creations of a user (the VM may exist already), so concurrent commits
    /// count against a quota before their CVM rows exist.
    /// </summary>
    public static Task<Reservation> ReservedAsync(SqliteConnection c, SqliteTransaction tx, long userId, long exceptId) =>
        c.QuerySingleAsync<Reservation>("""
            SELECT COUNT(*) AS instances, COALESCE(SUM(vcpu), 0) AS vcpu, COALESCE(SUM(memory), 0) AS memory,
                   COALESCE(SUM(disk_size), 0) AS disk
            FROM pending_operations
            WHERE user_id = @userId AND state = 'committing' AND kind IN ('deploy', 'instance') AND id <> @exceptId
            """, new { userId, exceptId }, tx);

    /// <summary>
    /// Deletes what can no longer be committed: pending ones past their lifetime, and finished (or abandoned) ones a
    /// day after that. Returns how many rows went.
    /// </summary>
    public async Task<int> PurgeAsync(DateTime nowUtc)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("""
            DELETE FROM pending_operations
            WHERE (state = 'pending' AND expires_at < @now) OR (state <> 'pending' AND expires_at < @retained)
            """, new { now = Clock.ToText(nowUtc), retained = Clock.ToText(nowUtc - PendingLifetime.DoneRetention) });
    }
}

public sealed class Reservation
{
    public int Instances { get; set; }
    public long Vcpu { get; set; }
    public long Memory { get; set; }
    public long Disk { get; set; }
}
