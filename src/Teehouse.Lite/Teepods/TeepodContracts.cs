using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Teepods;

// The teepod shapes of the contract (seeds/000), field for field; keys are present even when null.

public sealed record TeepodResponse(
    long Id,
    string Name,
    string? Endpoint,
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
    string? RegionIdentifier,
    bool Listed,
    string? LastError,
    string? AuthScheme);

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

/// <summary>
/// POST /teepods. Everything is nullable so that all problems are reported together as one 422. The vmm is called with
/// <c>auth_token</c> as Bearer, or <c>auth_username</c> + <c>auth_password</c> as HTTP Basic: one of the two, or none.
/// </summary>
public sealed record RegisterTeepodRequest(
    string? Name,
    string? Endpoint,
    string? RegionIdentifier,
    string? KmsEndpoint,
    string? TproxyEndpoint,
    string? TproxyBaseDomain,
    int? TproxyPort,
    int? TproxyTappdPort,
    string? AuthToken,
    bool? Listed,
    string? AuthUsername = null,
    string? AuthPassword = null)
{
    // Records print every member; this one carries secrets.
    public override string ToString() => $"RegisterTeepodRequest {{ Name = {Name}, Endpoint = {Endpoint} }}";
}

/// <summary>
/// PUT /teepods/{id}: a field left out (or null) is left unchanged. For the credentials an empty string removes them;
/// setting a token drops the Basic pair and vice versa.
/// </summary>
public sealed record UpdateTeepodRequest(
    string? Name,
    bool? Enabled,
    bool? Listed,
    string? RegionIdentifier,
    string? AuthToken = null,
    string? AuthUsername = null,
    string? AuthPassword = null)
{
    public override string ToString() => $"UpdateTeepodRequest {{ Name = {Name} }}";
}

/// <summary>GET /teepods/available.</summary>
public sealed record TierCapacity(string Tier, TierLimits Capacity, List<TeepodNode> Nodes, List<KmsInfo> KmsList);

public sealed record TierLimits(int? MaxInstances, int? MaxVcpu, int? MaxMemory, int? MaxDisk);

public sealed record TeepodNode(
    long TeepodId,
    string Name,
    bool Listed,
    double ResourceScore,
    long RemainingVcpu,
    long RemainingMemory,
    long RemainingCvmSlots,
    List<AvailableImage> Images,
    long? DedicatedForTeamId,
    bool SupportOnchainKms,
    string? Fmspc,
    string? DeviceId,
    string? RegionIdentifier,
    string? DefaultKms,
    List<string> KmsList);

public sealed record AvailableImage(string Name, bool IsDev, int[] Version, string? OsImageHash);

/// <summary>
/// A guest OS image as cached from the teepod's ListImages, with its os_image_hash when the image directory is on
/// this host (ListImages does not carry it; digest.txt does).
/// </summary>
public sealed record StoredImage(string Name, string Version, bool IsDev, string? OsImageHash = null);
