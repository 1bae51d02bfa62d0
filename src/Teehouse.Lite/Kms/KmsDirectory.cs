using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Kms;

/// <summary>The KMSs the operator declared in <c>[[kms]]</c>, in config order; looked up by id, then by slug.</summary>
public static class KmsDirectory
{
    /// <summary>The entry whose id is <paramref name="idOrSlug"/>, else the first whose slug is (both exact).</summary>
    public static KmsConfig? Find(TeehouseConfig config, string idOrSlug) =>
        config.Kms.FirstOrDefault(k => string.Equals(k.Id, idOrSlug, StringComparison.Ordinal))
        ?? config.Kms.FirstOrDefault(k => !string.IsNullOrEmpty(k.Slug) && string.Equals(k.Slug, idOrSlug, StringComparison.Ordinal));

    /// <summary>On-chain KMSs are the ones with a chain id; <paramref name="onChain"/> null keeps every entry.</summary>
    public static List<KmsInfo> List(TeehouseConfig config, bool? onChain) =>
        config.Kms
            .Where(k => onChain is null || (k.ChainId is not null) == onChain)
            .Select(KmsInfo.From)
            .ToList();
}
