using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Kms;

/// <summary>A row of kms_pins: a KMS's k256 key as first learnt, and the last different signer seen since.</summary>
public sealed class KmsPinRecord
{
    public string Url { get; set; } = "";
    public string K256Pubkey { get; set; } = "";
    public string LearnedAt { get; set; } = "";
    public string LearnedFrom { get; set; } = "";
    public string? LastMismatchK256Pubkey { get; set; }
    public string? LastMismatchAt { get; set; }
    public string? LastMismatchFrom { get; set; }
}

/// <summary>SQL for the kms_pins table (migration 0011): the trust-on-first-use pins. It never re-pins by itself.</summary>
public sealed class KmsPinStore(Db db)
{
    private const string Columns = """
        url, k256_pubkey, learned_at, learned_from, last_mismatch_k256_pubkey, last_mismatch_at, last_mismatch_from
        """;

    /// <summary>The form a URL is pinned under, so that spellings the catalog treats as one KMS share one pin.</summary>
    public static string Key(string url) => url.Trim().TrimEnd('/').ToLowerInvariant();

    public async Task<KmsPinRecord?> FindAsync(string url)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<KmsPinRecord>($"SELECT {Columns} FROM kms_pins WHERE url = @url", new { url = Key(url) });
    }

    public async Task<List<KmsPinRecord>> ListAsync()
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<KmsPinRecord>($"SELECT {Columns} FROM kms_pins ORDER BY url")).AsList();
    }

    /// <summary>
    /// Records <paramref name="k256Pubkey"/> unless the URL is pinned already, and answers the pin in force: the one
    /// just written (<c>Inserted</c>), or the earlier one (a concurrent first use), which wins.
    /// </summary>
    public async Task<(KmsPinRecord Pin, bool Inserted)> PinIfUnpinnedAsync(string url, string k256Pubkey, string learnedFrom)
    {
        await using var c = await db.OpenAsync();
        var inserted = await c.ExecuteAsync("""
            INSERT INTO kms_pins (url, k256_pubkey, learned_at, learned_from) VALUES (@url, @k256Pubkey, @now, @learnedFrom)
            ON CONFLICT (url) DO NOTHING
            """, new { url = Key(url), k256Pubkey, now = Clock.NowText(), learnedFrom });
        return (await c.QuerySingleAsync<KmsPinRecord>($"SELECT {Columns} FROM kms_pins WHERE url = @url", new { url = Key(url) }), inserted > 0);
    }

    /// <summary>Notes a signer that is not the pin, for the admin's view; the pin itself stays.</summary>
    public async Task RecordMismatchAsync(string url, string k256Pubkey, string seenFrom)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            UPDATE kms_pins SET last_mismatch_k256_pubkey = @k256Pubkey, last_mismatch_at = @now, last_mismatch_from = @seenFrom
            WHERE url = @url
            """, new { url = Key(url), k256Pubkey, now = Clock.NowText(), seenFrom });
    }
}
