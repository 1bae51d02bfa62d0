namespace Teehouse.Lite.Infrastructure.Dstack;

// The smaller vmm_rpc.proto messages. Lenient like the rest: proto defaults for anything missing or null.

/// <summary><c>VersionResponse</c>: the crate version (e.g. <c>0.5.5</c>) and the git revision (e.g. <c>git:0123…</c>).</summary>
public sealed record VmmVersion
{
    public string Version { get; init => field = value ?? ""; } = "";

    public string Rev { get; init => field = value ?? ""; } = "";
}

/// <summary><c>GetMetaResponse</c>: the host's defaults and limits. Any part may be null on an older or partial vmm.</summary>
public sealed record VmmMeta
{
    public VmmKmsSettings? Kms { get; init; }

    public VmmGatewaySettings? Gateway { get; init; }

    public VmmResourcesSettings? Resources { get; init; }

    public VmmNetworkingCapabilities? Networking { get; init; }
}

/// <summary><c>KmsSettings</c>: the KMS URLs the host hands to its CVMs by default.</summary>
public sealed record VmmKmsSettings
{
    public string Url { get; init => field = value ?? ""; } = "";

    public IReadOnlyList<string> Urls { get; init => field = value ?? []; } = [];
}

/// <summary><c>GatewaySettings</c>: the gateway the host's CVMs register with.</summary>
public sealed record VmmGatewaySettings
{
    public string Url { get; init => field = value ?? ""; } = "";

    public string BaseDomain { get; init => field = value ?? ""; } = "";

    public int Port { get; init; }

    public int AgentPort { get; init; }

    public IReadOnlyList<string> Urls { get; init => field = value ?? []; } = [];
}

/// <summary><c>ResourcesSettings</c>: the host's capacity.</summary>
public sealed record VmmResourcesSettings
{
    /// <summary>The vsock CID pool size: the most VMs the host can hold.</summary>
    public int MaxCvmNumber { get; init; }

    public int MaxAllocableVcpu { get; init; }

    public int MaxAllocableMemoryInMb { get; init; }
}

/// <summary><c>NetworkingCapabilities</c>.</summary>
public sealed record VmmNetworkingCapabilities
{
    /// <summary><c>["user"]</c> or <c>["user","bridge"]</c>.</summary>
    public IReadOnlyList<string> SupportedModes { get; init => field = value ?? []; } = [];

    public string DefaultMode { get; init => field = value ?? ""; } = "";

    public string DefaultBridge { get; init => field = value ?? ""; } = "";
}

/// <summary><c>StatusRequest</c>: all fields optional; <c>page</c> is 1-based, 0 (or page_size 0) means everything.</summary>
public sealed record VmmStatusRequest
{
    /// <summary>Exact VM ids to return; null or empty means all.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>Leave out each VM's configuration.</summary>
    public bool Brief { get; init; }

    /// <summary>Substring of name, id, app id or image.</summary>
    public string? Keyword { get; init; }

    public int Page { get; init; }

    public int PageSize { get; init; }
}

/// <summary><c>StatusResponse</c>.</summary>
public sealed record VmmStatusResponse
{
    public IReadOnlyList<VmInfo> Vms { get; init => field = value ?? []; } = [];

    public bool PortMappingEnabled { get; init; }

    /// <summary>How many VMs matched the filter before paging (0 from a vmm too old to page).</summary>
    public int Total { get; init; }
}

/// <summary>A guest image on the host (<c>ImageInfo</c>).</summary>
public sealed record ImageInfo
{
    /// <summary>Directory name, e.g. <c>dstack-0.5.5</c>; what <see cref="VmConfiguration.Image"/> takes.</summary>
    public string Name { get; init => field = value ?? ""; } = "";

    /// <summary>The image's metadata.json, serialized as a JSON string.</summary>
    public string Description { get; init => field = value ?? ""; } = "";

    public string Version { get; init => field = value ?? ""; } = "";

    public bool IsDev { get; init; }
}

/// <summary><c>ListGpusResponse</c>.</summary>
public sealed record VmmGpuList
{
    public IReadOnlyList<GpuInfo> Gpus { get; init => field = value ?? []; } = [];

    /// <summary>Whether <c>attach_mode = "all"</c> is allowed.</summary>
    public bool AllowAttachAll { get; init; }
}

/// <summary>A GPU on the host (<c>GpuInfo</c>).</summary>
public sealed record GpuInfo
{
    public string Slot { get; init => field = value ?? ""; } = "";

    public string ProductId { get; init => field = value ?? ""; } = "";

    public string Description { get; init => field = value ?? ""; } = "";

    /// <summary>Not attached to a running VM.</summary>
    public bool IsFree { get; init; }
}

// Wire-only messages, not part of the public surface.

internal sealed record IdMessage
{
    public string Id { get; init => field = value ?? ""; } = "";
}

internal sealed record AppIdMessage
{
    public string AppId { get; init => field = value ?? ""; } = "";
}

internal sealed record ComposeHashMessage
{
    public string Hash { get; init => field = value ?? ""; } = "";
}

internal sealed record GetInfoResponse
{
    public bool Found { get; init; }

    public VmInfo? Info { get; init; }
}

internal sealed record ImageListResponse
{
    public IReadOnlyList<ImageInfo> Images { get; init => field = value ?? []; } = [];
}

/// <summary><c>google.protobuf.Empty</c> as an input: serialized as <c>{}</c>.</summary>
internal sealed record EmptyMessage
{
    public static EmptyMessage Instance { get; } = new();
}
