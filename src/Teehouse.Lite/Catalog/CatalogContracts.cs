namespace Teehouse.Lite.Catalog;

// ---- instance types: the SDK's AllFamiliesResponseSchema / FamilyInstanceTypesResponseSchema (both .strict()) ----------
public sealed record InstanceTypeResponse(
    string Id, string Name, string Description, int Vcpu, int MemoryMb, string HourlyRate, bool RequiresGpu,
    int DefaultDiskSizeGb, string? Family);

public sealed record InstanceTypeFamily(string Name, List<InstanceTypeResponse> Items, int Total);

public sealed record InstanceTypeFamilies(List<InstanceTypeFamily> Result);

public sealed record FamilyInstanceTypes(List<InstanceTypeResponse> Items, int Total, string Family);

// ---- os images: GetOsImagesResponseSchema --------------------------------------------------------------------------
public sealed record OsImageResponse(string Name, string Slug, string Version, string? OsImageHash, bool IsDev, bool RequiresGpu)
{
    /// <summary>Only when the request names a size (vcpu, memory_mb) and dstack-mr could measure the image on this host.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public OsImageMeasurements? Measurements { get; init; }
}

/// <summary>What a CVM of that size booted from the image reports as MRTD and RTMR0-2 (hex), as dstack-mr computes it.</summary>
public sealed record OsImageMeasurements(int Vcpu, long MemoryMb, string Mrtd, string Rtmr0, string Rtmr1, string Rtmr2);

/// <summary><c>GET /os-images/{name}/measurements</c>: one image's measurements, and which teepod's files were measured.</summary>
public sealed record ImageMeasurementResponse(
    string Name, string? OsImageHash, long TeepodId, int Vcpu, long MemoryMb, string Mrtd, string Rtmr0, string Rtmr1, string Rtmr2);

public sealed record OsImagePage(List<OsImageResponse> Items, int Total, int Page, int PageSize, int Pages);

// ---- workspaces: WorkspaceResponseSchema, ListWorkspacesSchema, GetWorkspaceQuotasSchema, GetWorkspaceNodesSchema ----
public sealed record WorkspaceResponse(string Id, string Name, string? Slug, string Tier, string Role, bool IsDefault, string CreatedAt);

public sealed record WorkspacePagination(bool HasMore, string? NextCursor, int? Total);

public sealed record WorkspaceList(List<WorkspaceResponse> Data, WorkspacePagination Pagination);

/// <summary>A limit and what is left of it; -1 in both means "no limit".</summary>
public sealed record QuotaMetric(long Limit, long Remaining);

public sealed record WorkspaceQuotaSet(QuotaMetric VmSlots, QuotaMetric Vcpu, QuotaMetric MemoryMb, QuotaMetric DiskGb);

public sealed record ReservedGpuQuota(QuotaMetric Gpus, int InUse, int Misconfigured);

public sealed record WorkspaceQuotas(
    string TeamSlug, string Tier, WorkspaceQuotaSet Quotas, QuotaMetric ReservedNodes, ReservedGpuQuota ReservedGpu, string AsOf);

/// <summary>The SDK's NodeRefSchema (object_type "node").</summary>
public sealed record NodeRef(
    string ObjectType, long? Id, string? Name, string? Region, string? DeviceId, string? Ppid, string? Status, string? Version);

public sealed record WorkspaceNodes(List<NodeRef> Items, int Total, int Page, int PageSize, int Pages);
