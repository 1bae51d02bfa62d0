using System.Text.Json.Serialization;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>KMS <c>GetMetaResponse</c> (kms_rpc.proto). <c>bootstrap_info</c> is not read.</summary>
public sealed record KmsMeta
{
    /// <summary>The KMS root CA certificate, PEM.</summary>
    public string CaCert { get; init => field = value ?? ""; } = "";

    public bool AllowAnyUpgrade { get; init; }

    /// <summary>The KMS's secp256k1 signing key (33-byte compressed, lowercase hex) that signs env-encryption keys.</summary>
    [JsonPropertyName("k256_pubkey")]
    public string K256Pubkey { get; init => field = Hex.Normalize(value); } = "";

    public bool IsDev { get; init; }

    public string? GatewayAppId { get; init; }

    public string? KmsContractAddress { get; init; }

    public long? ChainId { get; init; }

    public string? AppAuthImplementation { get; init; }
}

/// <summary>
/// <c>PublicKeyResponse</c>: an app's X25519 env-encryption key and the KMS's signatures over it, all lowercase hex.
/// Returned by the KMS and, proxied, by dstack-vmm.
/// </summary>
public sealed record EnvEncryptPublicKey
{
    /// <summary>32-byte X25519 public key (64 hex chars).</summary>
    public string PublicKey { get; init => field = Hex.Normalize(value); } = "";

    /// <summary>65-byte recoverable secp256k1 signature (legacy message, without timestamp).</summary>
    public string Signature { get; init => field = Hex.Normalize(value); } = "";

    /// <summary>Unix seconds covered by <see cref="SignatureV1"/>.</summary>
    public long Timestamp { get; init; }

    /// <summary>65-byte recoverable signature over the message including <see cref="Timestamp"/>; "" from older KMSs.</summary>
    [JsonPropertyName("signature_v1")]
    public string SignatureV1 { get; init => field = Hex.Normalize(value); } = "";
}
