using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Audit;

/// <summary>The <c>audit_log</c> table (migration 0016): batched inserts, filtered pages newest first, retention.</summary>
public sealed class AuditStore(Db db)
{
    private const string Columns = "id, at, user_id, username, action, target, status, result, client_address, detail";
    internal const string Newest = "ORDER BY at DESC, id DESC";

    private const string InsertSql = """
        INSERT INTO audit_log (at, user_id, username, action, target, status, result, client_address, detail)
        VALUES (@At, @UserId, @Username, @Action, @Target, @Status, @Result, @ClientAddress, @Detail)
        """;

    /// <summary>Every record in one transaction: one commit (one fsync, one cache invalidation) per batch.</summary>
    public async Task InsertAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default)
    {
        if (records.Count == 0) return;
        await db.InTransactionAsync(async (c, tx) =>
        {
            foreach (var record in records) await c.ExecuteAsync(InsertSql, record, tx);
            return records.Count;
        }, ct);
    }

    public Task InsertAsync(AuditRecord record) => InsertAsync([record]);

    /// <summary>One page newest first, and how many rows the filter lets through.</summary>
    public async Task<(List<AuditRecord> Items, long Total)> PageAsync(AuditFilter filter, int page, int pageSize)
    {
        var args = Args(filter, pageSize, (long)(page - 1) * pageSize);
        await using var c = await db.OpenAsync();
        var total = await c.ExecuteScalarAsync<long>(CountSql(filter), args);
        var items = total == 0 ? [] : (await c.QueryAsync<AuditRecord>(PageSql(filter), args)).AsList();
        return (items, total);
    }

    /// <summary>
    /// The page statement of a filter. Four optional filters would be sixteen fixed statements; each fragment is a
    /// constant instead, and only ever with a parameter, never a value. Each single filter has its own index
    /// (migration 0016) whose order is the answer's, so the page stops after LIMIT rows (tests check the plans).
    /// </summary>
    internal static string PageSql(AuditFilter filter)
    {
        if (filter.UserId is null) return $"SELECT {Columns} FROM audit_log{Where(filter)} {Newest} LIMIT @Limit OFFSET @Offset";
        // A user given as digits is an id or a name. An OR of the two would read both indexes and then sort every
        // match; as a UNION each side walks its own index newest first and SQLite merges them (MERGE (UNION)), so
        // the page still stops after LIMIT rows. Identical rows are one record (the id is among the columns).
        var rest = Terms(filter).Select(t => " AND " + t);
        return $"SELECT {Columns} FROM audit_log WHERE user_id = @UserId{string.Concat(rest)} " +
               $"UNION SELECT {Columns} FROM audit_log WHERE username = @User{string.Concat(rest)} {Newest} LIMIT @Limit OFFSET @Offset";
    }

    internal static string CountSql(AuditFilter filter) => $"SELECT COUNT(*) FROM audit_log{Where(filter)}";

    private static string Where(AuditFilter filter)
    {
        var terms = new List<string>(4);
        if (filter.UserId is not null) terms.Add("(user_id = @UserId OR username = @User)");
        else if (filter.User is not null) terms.Add("username = @User");
        terms.AddRange(Terms(filter));
        return terms.Count == 0 ? "" : " WHERE " + string.Join(" AND ", terms);
    }

    /// <summary>The filters besides the user.</summary>
    private static IEnumerable<string> Terms(AuditFilter filter)
    {
        if (filter.Target is not null) yield return "target = @Target";
        if (filter.Since is not null) yield return "at >= @Since";
        if (filter.Until is not null) yield return "at < @Until";
    }

    internal static AuditQueryArgs Args(AuditFilter filter, int limit, long offset) =>
        new(filter.UserId, filter.User, filter.Target, filter.Since, filter.Until, limit, offset);

    /// <summary>Deletes rows older than <paramref name="cutoff"/> (stored form), a chunk at a time; returns how many.</summary>
    public async Task<long> DeleteBeforeAsync(string cutoff, CancellationToken ct = default)
    {
        long deleted = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // Chunks of the time index: a large first clean-up never holds the write lock for long, and requests
            // (whose audit rows wait for the lock) keep going in between.
            await using var c = await db.OpenAsync(ct);
            var n = await c.ExecuteAsync("""
                DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < @cutoff ORDER BY at LIMIT 5000)
                """, new { cutoff });
            deleted += n;
            if (n < 5000) return deleted;
        }
    }
}

/// <summary>The parameters of every audit read; a statement uses those its filters name.</summary>
internal sealed record AuditQueryArgs(long? UserId, string? User, string? Target, string? Since, string? Until, int Limit, long Offset);
