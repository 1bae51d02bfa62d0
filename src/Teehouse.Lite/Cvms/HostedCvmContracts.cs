using System.Text.Json.Serialization;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

// GET /api/v1/teepods/{teepod_id}/cvms: one item per VM on the teepod. Keys, nesting and order follow the Phala Cloud
// example response; the official SDK (CvmInfo v2025-10-28) requires every key, so nullable ones are written as null.

/// <summary>One CVM of a teepod: the vmm's view (<c>hosted</c>) plus the control plane's fields.</summary>
public sealed record HostedCvmResponse(
    HostedVm Hosted,
    string Name,
    ManagedUser? ManagedUser,
    NodeRef? Node,
    bool Listed,
    string Status,
    bool InProgress,
    string? DappDashboardUrl,
    string? SyslogEndpoint,
    bool AllowUpgrade,
    string? ProjectId,
    string? ProjectType,
    string? BillingPeriod,
    KmsInfo? KmsInfo,
    string? ContractAddress,
    string? DeployerAddress,
    long? Vcpu,
    long? Memory,
    long? DiskSize);

/// <summary>The VM as dstack-vmm reports it (<c>VmInfo</c>).</summary>
public sealed record HostedVm(
    string Id,
    string Name,
    string Status,
    string Uptime,
    string? AppUrl,
    string AppId,
    string? InstanceId,
    HostedVmConfiguration? Configuration,
    string? ExitedAt,
    string? BootProgress,
    string? BootError,
    string? ShutdownProgress,
    string? ImageVersion);

/// <summary>The vmm's <c>VmConfiguration</c>, with the compose text parsed into its fields.</summary>
public sealed record HostedVmConfiguration(
    string Name,
    string Image,
    AppComposeInfo? ComposeFile,
    long Vcpu,
    long Memory,
    long DiskSize,
    IReadOnlyList<HostedPortMapping> Ports,
    string EncryptedEnv,
    string? AppId,
    string UserConfig,
    bool Hugepages,
    bool PinNuma,
    IReadOnlyList<HostedGpu> Gpus,
    IReadOnlyList<string> KmsUrls,
    IReadOnlyList<string> GatewayUrls);

public sealed record HostedPortMapping(string Protocol, long HostPort, long VmPort, string HostAddress);

/// <summary>A GPU attached by PCI slot; the vmm does not echo the product id, so it is null.</summary>
public sealed record HostedGpu(string? ProductId, string Slot);

/// <summary>
/// The app-compose.json fields the contract shows. Every field is nullable: a key missing from the compose (or of the
/// wrong type) stays null. <see cref="Raw"/> is only set, and only written, when the compose text is not a valid JSON
/// object; the fields then hold whatever could be read before the error.
/// </summary>
public sealed record AppComposeInfo
{
    public IReadOnlyList<string>? AllowedEnvs { get; init; }
    public string? BashScript { get; init; }
    public string? DockerComposeFile { get; init; }
    public bool? KmsEnabled { get; init; }
    public bool? LocalKeyProviderEnabled { get; init; }
    public int? ManifestVersion { get; init; }
    public string? Name { get; init; }
    public bool? NoInstanceId { get; init; }
    public string? PreLaunchScript { get; init; }
    public bool? PublicLogs { get; init; }
    public bool? PublicSysinfo { get; init; }
    public string? Runner { get; init; }

    /// <summary>The effective value: <c>gateway_enabled || tproxy_enabled</c> when either key is present.</summary>
    public bool? GatewayEnabled { get; init; }

    public IReadOnlyList<string>? Features { get; init; }
    public string? Salt { get; init; }

    /// <summary>Same effective value as <see cref="GatewayEnabled"/> (legacy name).</summary>
    public bool? TproxyEnabled { get; init; }

    /// <summary>The original compose text, set only when it is not a valid JSON object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Raw { get; init; }
}

public sealed record ManagedUser(long Id, string Username);

public sealed record NodeRef(long Id, string Name, string? RegionIdentifier);
