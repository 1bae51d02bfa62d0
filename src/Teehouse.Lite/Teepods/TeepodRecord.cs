using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Teepods;

/// <summary>A row of the teepods table.</summary>
public sealed class TeepodRecord
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Endpoint { get; set; } = "";
    public string? AuthToken { get; set; }
    public string? AuthUsername { get; set; }
    public string? AuthPassword { get; set; }
    public string? RegionIdentifier { get; set; }
    public string? KmsEndpoint { get; set; }
    public string? KmsUrl { get; set; }
    public string? KmsVersion { get; set; }
    public string? KmsCaCertPem { get; set; }
    public string? TproxyEndpoint { get; set; }
    public string? TproxyUrl { get; set; }
    public string? TproxyVersion { get; set; }
    public string? TproxyBaseDomain { get; set; }
    public long? TproxyPort { get; set; }
    public long? TproxyTappdPort { get; set; }
    public string? TeepodVersion { get; set; }
    public long? MaxCvmNumber { get; set; }
    public long? MaxAllocableVcpu { get; set; }
    public long? MaxAllocableMemoryInMb { get; set; }
    public long? MaxDiskSizeInGb { get; set; }
    public string Status { get; set; } = TeepodStatus.Offline;
    public bool Enabled { get; set; }
    public bool Listed { get; set; }
    public int VmCount { get; set; }
    public long UsedVcpu { get; set; }
    public long UsedMemoryMb { get; set; }
    public string ImagesJson { get; set; } = "[]";
    public string? LastPingAt { get; set; }
    public string? LastSeenAt { get; set; }

    /// <summary>Why the last ping failed, as the pinger saw it (addresses included): for admins and logs.</summary>
    public string? LastErrorDetail { get; set; }

    /// <summary>
    /// <see cref="LastErrorDetail"/> without addresses, paths or secrets: the only form anyone but an admin is shown,
    /// so code that quotes a teepod's last error cannot leak its location.
    /// </summary>
    public string? LastError => LastErrorDetail is null ? null : DetailScrubber.Scrub(LastErrorDetail);
    public string CreatedAt { get; set; } = "";

    /// <summary>
    /// The vmm's image and VM directories, for a teepod on this host (set by <c>teehouse teepod add-local</c>, never
    /// over the API): what lets the pinger read image digests and the CVM detail measure disks. Null elsewhere.
    /// </summary>
    public string? ImagePath { get; set; }
    public string? RunPath { get; set; }

    /// <summary>What every request to this teepod's vmm carries: Basic, Bearer, or nothing.</summary>
    public VmmCredentials? Credentials() => VmmCredentials.Of(AuthToken, AuthUsername, AuthPassword);
}

public static class TeepodStatus
{
    public const string Online = "online";
    public const string Offline = "offline";
}
