using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Shared;

/// <summary>A KMS as the official SDK's KmsInfo schema wants it: every key present, nullable ones as null.</summary>
public sealed record KmsInfo(
    string Id, string? Slug, string Url, string Version, long? ChainId, string? KmsContractAddress, string? GatewayAppId)
{
    public static KmsInfo From(KmsConfig k) =>
        new(k.Id, string.IsNullOrEmpty(k.Slug) ? null : k.Slug, k.Url, k.Version, k.ChainId,
            string.IsNullOrEmpty(k.KmsContractAddress) ? null : k.KmsContractAddress,
            string.IsNullOrEmpty(k.GatewayAppId) ? null : k.GatewayAppId);
}
