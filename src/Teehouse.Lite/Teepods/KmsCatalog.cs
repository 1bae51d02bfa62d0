using System.Security.Cryptography;
using System.Text;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Teepods;

/// <summary>
/// The KMSs Teehouse Lite offers: the operator's <c>[[kms]]</c> entries; with none configured (a fresh install), the
/// KMS each registered teepod uses, as its probe found it. So every KMS call and every 465 has a real KMS to name
/// without any configuration, as on the hosted service. Neither reads the database while the teepods stay as they
/// are: the configured list is the config's (read as it is on each call, a few records), the derived one is built with
/// the teepods' read model.
/// </summary>
public sealed class KmsCatalog(TeehouseConfig config, TeepodReadModels teepods)
{
    public async Task<List<KmsConfig>> EntriesAsync() =>
        config.Kms.Count > 0 ? config.Kms : [.. (await teepods.CurrentAsync()).KmsEntries];

    // A copy of the derived list: each caller gets a list of its own; the entries in it are shared and never changed.
    public async Task<List<KmsInfo>> ListAsync() =>
        config.Kms.Count > 0 ? [.. config.Kms.Select(KmsInfo.From)] : [.. (await teepods.CurrentAsync()).KmsList];

    /// <summary>The same list for a route that has just read the enabled teepods anyway: no second query.</summary>
    public List<KmsInfo> ListFor(IReadOnlyList<TeepodRecord> enabledTeepods) => [.. EntriesFor(enabledTeepods).Select(KmsInfo.From)];

    public List<KmsConfig> EntriesFor(IReadOnlyList<TeepodRecord> enabledTeepods) =>
        config.Kms.Count > 0 ? config.Kms : Derive(enabledTeepods);

    /// <summary>By id, then by slug (both exact), as the contract's <c>/kms/{kms_id}</c> looks one up.</summary>
    public async Task<KmsConfig?> FindAsync(string idOrSlug)
    {
        var all = await EntriesAsync();
        return all.FirstOrDefault(k => string.Equals(k.Id, idOrSlug, StringComparison.Ordinal))
               ?? all.FirstOrDefault(k => !string.IsNullOrEmpty(k.Slug) && string.Equals(k.Slug, idOrSlug, StringComparison.Ordinal));
    }

    /// <summary>One entry per distinct KMS URL the teepods use, in teepod order, with an id that depends on the URL alone.</summary>
    public static List<KmsConfig> Derive(IEnumerable<TeepodRecord> hosts) =>
        hosts.Where(t => !string.IsNullOrWhiteSpace(t.KmsUrl))
            .GroupBy(t => Normalize(t.KmsUrl!), StringComparer.Ordinal)
            .Select(g => new KmsConfig
            {
                Id = IdOf(g.Key),
                Url = g.First().KmsUrl!.Trim().TrimEnd('/'),
                Version = g.Select(t => t.KmsVersion).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? "",
            })
            .ToList();

    /// <summary>Stable across restarts and hosts: "kms-" and the first 12 hex characters of the URL's SHA-256.</summary>
    public static string IdOf(string url) =>
        "kms-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(url))))[..12];

    private static string Normalize(string url) => url.Trim().TrimEnd('/').ToLowerInvariant();
}
