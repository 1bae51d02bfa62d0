using System.Text.Json.Serialization;
using System.Text.Json;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Cvms;

// The /api/v1/cvms answers, in the shapes the official SDK (@phala/cloud 0.2.9) parses with zod. Nulls are written
// (AppJsonContext), because many keys are required-but-nullable; keys the SDK marks optional-but-NOT-nullable (a bool
// or string that may be absent, never null) carry WhenWritingNull so an unknown value is left out instead.

// ---- X-Phala-Version 2026-01-21 (the default) ---------------------------------------------------------------------

/// <summary><c>CvmInfoV20260121Schema</c>: one CVM of <c>GET /cvms/paginated</c> (and the base of the detail).</summary>
public record CvmInfoV20260121
{
    /// <summary>The hashed id (cvms.hashed_id).</summary>
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string? AppId { get; init; }
    public string? VmUuid { get; init; }
    public string? InstanceId { get; init; }
    public CvmResource Resource { get; init; } = new();
    public CvmNodeInfo? NodeInfo { get; init; }
    public CvmOs? Os { get; init; }
    /// <summary><c>phala|ethereum|base|legacy</c> or null.</summary>
    public string? KmsType { get; init; }
    public CvmKmsInfoV20260121? KmsInfo { get; init; }
    public string Status { get; init; } = "";
    public CvmProgress? Progress { get; init; }
    public string? ComposeHash { get; init; }
    public CvmGateway Gateway { get; init; } = new(null, null);
    public IReadOnlyList<CvmService> Services { get; init; } = [];
    public IReadOnlyList<CvmPublicUrl>? Endpoints { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? PublicLogs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? PublicSysinfo { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? GatewayEnabled { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? SecureTime { get; init; }

    public bool Listed { get; init; }

    /// <summary>Not in the 2026 schema (which strips it); the phala CLI's wait loop reads it.</summary>
    public bool InProgress { get; init; }

    public CvmWorkspaceRef? Workspace { get; init; }
    public CvmUserRef? Creator { get; init; }
    public string CreatedAt { get; init; } = "";
    public string UpdatedAt { get; init; } = "";

    /// <summary>Not in the 2026 schema (the SDK strips it); a header-less logs URL, as in the 2025 shapes.</summary>
    public string? SyslogEndpoint { get; init; }
}

/// <summary><c>CvmInfoDetailV20260121Schema</c>: the CVM plus its app-compose (an object, or the raw text when it
/// is not valid JSON; null when the vmm could not be asked).</summary>
public sealed record CvmInfoDetailV20260121 : CvmInfoV20260121
{
    public CvmInfoDetailV20260121()
    {
    }

    public CvmInfoDetailV20260121(CvmInfoV20260121 info, JsonElement? composeFile) : base(info) => ComposeFile = composeFile;

    public JsonElement? ComposeFile { get; init; }

    /// <summary>Admins only, for a VM of a teepod on this host (see <see cref="CvmDisks"/>); absent otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CvmDiskUsage? DiskUsage { get; init; }
}

/// <summary>A VM's data disk as qemu-img reports it: its format, the size the guest sees, and the bytes it holds on the host.</summary>
public sealed record CvmDiskUsage(string Format, long VirtualSizeBytes, long? ActualSizeBytes);

/// <summary>All optional: what is not known is null.</summary>
public sealed record CvmResource
{
    public string? InstanceType { get; init; }
    public long? Vcpu { get; init; }
    public double? MemoryInGb { get; init; }
    public long? DiskInGb { get; init; }
    public long? Gpus { get; init; }
    public string? ComputeBillingPrice { get; init; }
    /// <summary><c>skip|hourly|monthly</c> or null.</summary>
    public string? BillingPeriod { get; init; }
}

/// <summary><c>NodeRefSchema</c>: the teepod; <c>object_type</c> must be the literal <c>node</c>.</summary>
public sealed record CvmNodeInfo(
    string ObjectType, long Id, string Name, string? Region, string? DeviceId, string? Ppid, string? Status, string? Version);

public sealed record CvmOs(string? Name, string? Version, bool? IsDev, string? OsImageHash);

public sealed record CvmKmsInfoV20260121(
    long? ChainId, string? DstackKmsAddress, string? DstackAppAddress, string? DeployerAddress, string? RpcEndpoint,
    string? EncryptedEnvPubkey);

public sealed record CvmProgress(string? Target, string? StartedAt, string? CorrelationId);

public sealed record CvmGateway(string? BaseDomain, string? Cname);

/// <summary>A container of the CVM; Teehouse Lite does not look inside guests, so the list stays empty.</summary>
public sealed record CvmService(string Name);

/// <summary><c>{app, instance}</c> URLs (v2026 <c>endpoints</c>, v2025 <c>public_urls</c>).</summary>
public sealed record CvmPublicUrl(string App, string Instance);

public sealed record CvmWorkspaceRef(string ObjectType, string Id, string Name, string? Slug, string? AvatarUrl);

public sealed record CvmUserRef(string ObjectType, string? Id, string? Username, string? AvatarUrl);

public sealed record CvmPageV20260121(IReadOnlyList<CvmInfoV20260121> Items, long Total, int Page, int PageSize, long Pages);

// ---- X-Phala-Version 2025-10-28 -----------------------------------------------------------------------------------

/// <summary><c>CvmInfoV20251028Schema</c>: the stricter list item (every key below is required by the SDK).</summary>
public sealed record CvmInfoV20251028(
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
    long? Vcpu,
    long? Memory,
    long? DiskSize,
    string? GatewayDomain,
    IReadOnlyList<CvmPublicUrl> PublicUrls,
    CvmMachineInfo? MachineInfo,
    string? UpdatedAt)
{
    /// <summary>As in the 2026 detail: admins only, a VM on this host.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CvmDiskUsage? DiskUsage { get; init; }
}

public sealed record CvmMachineInfo(long Vcpu, long Memory, long DiskSize, long GpuCount);

public sealed record CvmPageV20251028(IReadOnlyList<CvmInfoV20251028> Items, long Total, int Page, int PageSize, long Pages);

/// <summary><c>CvmDetailV20251028Schema</c>: <c>GET /cvms/{id}</c> for 2025-10-28 clients (numeric ids).</summary>
public sealed record CvmDetailV20251028(
    long Id,
    string Name,
    string Status,
    bool InProgress,
    long? TeepodId,
    NodeRef? Teepod,
    string AppId,
    string? VmUuid,
    string? InstanceId,
    long Vcpu,
    long Memory,
    long DiskSize,
    string? BaseImage,
    string? EncryptedEnvPubkey,
    bool Listed,
    string? ProjectId,
    string? ProjectType,
    string? InstanceType,
    bool PublicSysinfo,
    bool PublicLogs,
    string? DappDashboardUrl,
    string? SyslogEndpoint,
    KmsInfo? KmsInfo,
    string? ContractAddress,
    string? DeployerAddress,
    string? ScheduledDeleteAt,
    IReadOnlyList<CvmPublicUrl> PublicUrls,
    string? GatewayDomain,
    CvmMachineInfo? MachineInfo,
    string? UpdatedAt)
{
    /// <summary>As in the 2026 detail: admins only, a VM on this host.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CvmDiskUsage? DiskUsage { get; init; }
}

// ---- version-independent -------------------------------------------------------------------------------------------

/// <summary><c>VMSchema</c>: the answer of start/stop/shutdown/restart.</summary>
public sealed record CvmVmResponse(
    long Id,
    string Name,
    string Status,
    long TeepodId,
    NodeRef? Teepod,
    long? UserId,
    string AppId,
    string? VmUuid,
    string? InstanceId,
    string? AppUrl,
    string? BaseImage,
    long Vcpu,
    long Memory,
    long DiskSize,
    int? ManifestVersion,
    string? Version,
    string? Runner,
    string? DockerComposeFile,
    IReadOnlyList<string>? Features,
    string CreatedAt,
    string? EncryptedEnvPubkey,
    bool InProgress,
    CvmProgress? Progress);

/// <summary>
/// <c>CvmStateSchema</c> (<c>GET /cvms/{id}/state</c>): the vmm's live view. Every key but name and status is an
/// optional string that must not be null, so unknown ones are left out.
/// </summary>
public sealed record CvmStateResponse
{
    /// <summary>The VM uuid.</summary>
    public string? Id { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? InstanceId { get; init; }

    public string Name { get; init; } = "";
    public string Status { get; init; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Uptime { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ExitedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BootProgress { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BootError { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ShutdownProgress { get; init; }
}

/// <summary>The data of the <c>complete</c> / <c>timeout</c> / <c>error</c> events of the state stream.</summary>
public sealed record CvmStateStreamEvent(string? Status, string? Target, string? Error);

/// <summary><c>POST /cvms/{id}/restart</c> body (optional): force = hard stop instead of a guest shutdown.</summary>
public sealed record RestartCvmRequest(bool? Force);
