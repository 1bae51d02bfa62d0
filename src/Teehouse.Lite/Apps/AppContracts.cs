using System.Text.Json.Nodes;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;

namespace Teehouse.Lite.Apps;

// The /api/v1/apps answers, in the shapes @phala/cloud 0.2.9 parses (DstackAppWithCvmResponseV20260121Schema and
// DstackAppListResponseV20260121Schema). An app is the caller's CVMs (an admin's: everyone's) grouped by app_id.

/// <summary>The profile the SDK allows on an app; Teehouse Lite keeps none, so it is always null.</summary>
public sealed record AppProfile(string? DisplayName, string? AvatarUrl, string? Description, string? CustomDomain);

/// <summary>The full v2026 app: <c>id</c> is the app id, <c>current_cvm</c> the newest CVM, <c>cvms</c> all of them.</summary>
public sealed record AppV20260121(
    string Id,
    string Name,
    string AppId,
    string CreatedAt,
    string KmsType,
    string? AppProvisionType,
    string? AppIconUrl,
    AppProfile? Profile,
    CvmInfoV20260121? CurrentCvm,
    IReadOnlyList<CvmInfoV20260121> Cvms,
    int CvmCount);

/// <summary><c>GET /apps</c>: note <c>total_pages</c> (the CVM list says <c>pages</c>).</summary>
public sealed record AppPageV20260121(IReadOnlyList<AppV20260121> DstackApps, int Page, int PageSize, long Total, long TotalPages);

/// <summary>
/// <c>POST /apps/{app_id}/instances</c>. All optional: without <c>token</c> it creates (or, with
/// <c>X-Prepare-Only: true</c>, prepares) an instance; with <c>token</c> it commits what a prepare-only request fixed.
/// </summary>
public sealed record CreateAppInstanceRequest(
    long? NodeId,
    long? TeepodId,
    string? EncryptedEnv,
    string? ComposeHash,
    string? DockerComposeFile,
    string? PreLaunchScript,
    string? Token,
    string? TransactionHash);


// ---- X-Phala-Version 2025-10-28 -----------------------------------------------------------------------------------

/// <summary><c>CvmBasicInfoV20251028Schema</c>: a CVM inside a 2025-10-28 app.</summary>
public sealed record CvmBasicInfoV20251028(
    string? VmUuid,
    string AppId,
    string Name,
    string Status,
    long Vcpu,
    long Memory,
    long DiskSize,
    long TeepodId,
    string TeepodName,
    string? RegionIdentifier,
    string? KmsType,
    string? InstanceType,
    bool? Listed,
    string? BaseImage,
    string? KmsSlug,
    string? KmsId,
    string? InstanceId,
    CvmMachineInfo? MachineInfo,
    string? UpdatedAt);

/// <summary>The full 2025-10-28 app: the same keys, with <see cref="CvmBasicInfoV20251028"/> CVMs.</summary>
public sealed record AppV20251028(
    string Id,
    string Name,
    string AppId,
    string CreatedAt,
    string KmsType,
    string? AppProvisionType,
    string? AppIconUrl,
    AppProfile? Profile,
    CvmBasicInfoV20251028? CurrentCvm,
    IReadOnlyList<CvmBasicInfoV20251028> Cvms,
    int CvmCount);

public sealed record AppPageV20251028(IReadOnlyList<AppV20251028> DstackApps, int Page, int PageSize, long Total, long TotalPages);
