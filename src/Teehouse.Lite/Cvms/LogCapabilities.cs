using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Cvms;

/// <summary>Why a log capability was refused (or not).</summary>
public enum CapabilityCheck
{
    Valid,

    /// <summary>Not of the form we issue, or past its expiry: 401.</summary>
    Expired,

    /// <summary>Well-formed but not ours for this CVM (tampered, or issued for another CVM): 403.</summary>
    Forged,
}

/// <summary>
/// The <c>cap</c> of a CVM's <c>syslog_endpoint</c>: a short-lived, read-only, single-CVM capability to read its logs
/// without an API token (the phala CLI fetches that URL with no headers). It is <c>{expiry}.{mac}</c>, the mac an
/// HMAC-SHA256 over the CVM's hashed id and the expiry under a random server key kept in <c>log_capability_keys</c>
/// (made once, then cached here), so issuing one per list row and checking one per request touch no table.
/// </summary>
public sealed class LogCapabilities(Db db, TeehouseConfig config)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    // Expiries are rounded to this step, so answers within one step carry the same URL (and the link lives 50-60 min).
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _key;

    // The caps issued for the current expiry, by hashed id: a list answer names one per row and an HMAC costs some
    // microseconds, while the same links repeat for every request of the same 10-minute step.
    private IssuedCaps _issued = new(0);

    /// <summary>The server key: created on first use, read once, then kept in memory.</summary>
    public async ValueTask<byte[]> KeyAsync()
    {
        if (Volatile.Read(ref _key) is { } cached) return cached;
        await _gate.WaitAsync();
        try
        {
            if (_key is not null) return _key;
            await using var c = await db.OpenAsync();
            await c.ExecuteAsync(
                "INSERT OR IGNORE INTO log_capability_keys (id, key, created_at) VALUES (1, @key, @now)",
                new { key = RandomNumberGenerator.GetBytes(32), now = Clock.NowText() });
            var key = (await c.QueryAsync<byte[]>("SELECT key FROM log_capability_keys WHERE id = 1")).Single();
            Volatile.Write(ref _key, key);
            return key;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What every CVM answer of this request needs to name its <c>syslog_endpoint</c>: no I/O per row.</summary>
    public async Task<SyslogLinks> LinksAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = await KeyAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var step = (long)Step.TotalSeconds;
        var expires = now / step * step + (long)Lifetime.TotalSeconds;
        var issued = Volatile.Read(ref _issued);
        if (issued.ExpiresUnix != expires || issued.Count > IssuedCaps.Max)
        {
            issued = new IssuedCaps(expires);
            Volatile.Write(ref _issued, issued);
        }
        return new SyslogLinks(BaseUrl(request), key, expires, issued);
    }

    /// <summary>The server's public URL when configured, else the one this request came to.</summary>
    public string BaseUrl(HttpRequest request) =>
        config.Server.PublicUrl is { Length: > 0 } url
            ? url.TrimEnd('/')
            : $"{request.Scheme}://{request.Host}{request.PathBase}".TrimEnd('/');

    public async Task<CapabilityCheck> CheckAsync(string hashedId, string capability) =>
        Check(await KeyAsync(), hashedId, capability, DateTimeOffset.UtcNow);

    public static string Issue(byte[] key, string hashedId, long expiresUnix) =>
        string.Create(CultureInfo.InvariantCulture, $"{expiresUnix}.{Base64Url(Mac(key, hashedId, expiresUnix))}");

    public static CapabilityCheck Check(byte[] key, string hashedId, string capability, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(capability);
        var dot = capability.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || capability.Length > 128
            || !long.TryParse(capability.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
            return CapabilityCheck.Expired;
        var expected = Encoding.ASCII.GetBytes(Base64Url(Mac(key, hashedId, expires)));
        var given = Encoding.ASCII.GetBytes(capability[(dot + 1)..]);
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return CapabilityCheck.Forged;
        return expires > now.ToUnixTimeSeconds() ? CapabilityCheck.Valid : CapabilityCheck.Expired;
    }

    private static byte[] Mac(byte[] key, string hashedId, long expiresUnix) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"teehouse-logs\n{hashedId}\n{expiresUnix}")));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

/// <summary>The <c>syslog_endpoint</c> of each CVM in one answer (one key, one base URL, one expiry).</summary>
public sealed class SyslogLinks(string baseUrl, byte[] key, long expiresUnix, IssuedCaps? issued = null)
{
    /// <summary>What the links embed besides the CVM: an answer cached with them is keyed on both.</summary>
    public string BaseUrl => baseUrl;

    public long ExpiresUnix => expiresUnix;

    public string For(CvmRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return $"{baseUrl}/api/v1/cvms/{Uri.EscapeDataString(row.HashedId)}/logs?cap={Cap(row.HashedId)}";
    }

    private string Cap(string hashedId) =>
        issued is not null && issued.ExpiresUnix == expiresUnix
            ? issued.GetOrAdd(hashedId, static (id, s) => LogCapabilities.Issue(s.key, id, s.expiresUnix), (key, expiresUnix))
            : LogCapabilities.Issue(key, hashedId, expiresUnix);
}

/// <summary>Caps already issued for one expiry, by hashed id (the server key never changes while the process runs).</summary>
public sealed class IssuedCaps(long expiresUnix) : System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal)
{
    /// <summary>More CVMs than any fleet has: past it, start over rather than grow.</summary>
    public const int Max = 100_000;

    public long ExpiresUnix => expiresUnix;
}
