namespace Teehouse.Lite.Teepods;

// The teepod shape of the contract (seeds/000), field for field; keys are present even when null.

public sealed record TeepodResponse(
    long Id,
    string Name,
    string Endpoint,
    string? KmsUrl,
    string? KmsVersion,
    KmsCaCertInfo? KmsCaCert,
    string? TproxyUrl,
    string? TproxyVersion,
    string? TproxyBaseDomain,
    long? TproxyPort,
    long? TproxyTappdPort,
    string? TeepodVersion,
    long? MaxCvmNumber,
    long? MaxAllocableVcpu,
    long? MaxAllocableMemoryInMb,
    long? MaxDiskSizeInGb,
    string Status,
    bool Enabled,
    string? LastPingAt,
    string CreatedAt,
    string? RegionIdentifier);

public sealed record KmsCaCertInfo(
    CertName Subject,
    CertName Issuer,
    string SerialNumber,
    string NotBefore,
    string NotAfter,
    string Version,
    string Fingerprint,
    string SignatureAlgorithm,
    IReadOnlyList<string> Sans,
    bool IsCa,
    int PositionInChain,
    string? Quote);

public sealed record CertName(string? CommonName, string? Organization, string? Country, string? State, string? Locality);
