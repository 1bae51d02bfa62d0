namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// <c>UpdateVmRequest</c>: what to change on an existing VM. Null (and, for the strings, empty) means "leave as is";
/// lists replace the current ones only together with their <c>Update…</c> flag. Resource changes (vcpu, memory,
/// disk_size, image) need the VM stopped; all changes take effect at the next start.
/// </summary>
public sealed record UpdateVmRequest
{
    public string Id { get; init => field = value ?? ""; } = "";

    /// <summary>New app-compose.json text; the call then returns the new app id (sha256 of it, first 40 hex chars).</summary>
    public string? ComposeFile { get; init; }

    /// <summary>New encrypted env blob as hex.</summary>
    public string? EncryptedEnv { get; init => field = value is null ? null : Hex.Normalize(value); }

    public string? UserConfig { get; init; }

    public bool UpdatePorts { get; init; }

    public IReadOnlyList<PortMapping>? Ports { get; init; }

    public bool UpdateKmsUrls { get; init; }

    public IReadOnlyList<string>? KmsUrls { get; init; }

    public bool UpdateGatewayUrls { get; init; }

    public IReadOnlyList<string>? GatewayUrls { get; init; }

    /// <summary>Replaces the GPU configuration when set.</summary>
    public GpuConfig? Gpus { get; init; }

    public int? Vcpu { get; init; }

    public int? Memory { get; init; }

    public int? DiskSize { get; init; }

    public string? Image { get; init; }

    public bool? NoTee { get; init; }

    public bool UpdateNetworking { get; init; }

    public IReadOnlyList<NetworkingConfig>? Networks { get; init; }
}
