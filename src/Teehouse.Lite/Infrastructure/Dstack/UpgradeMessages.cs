namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// <c>UpgradeAppRequest</c>, the app half of an update on every release (0.4.2 → next; vmm-cli still uses it): empty
/// strings mean "leave as is"; ports replace the current ones only with <see cref="UpdatePorts"/>. No resources.
/// </summary>
internal sealed record UpgradeAppRequest
{
    public string Id { get; init; } = "";

    public string ComposeFile { get; init; } = "";

    /// <summary>Hex; the vmm decodes it as bytes.</summary>
    public string EncryptedEnv { get; init; } = "";

    public string UserConfig { get; init; } = "";

    public bool UpdatePorts { get; init; }

    public IReadOnlyList<PortMapping> Ports { get; init; } = [];

    /// <summary>0.5.0+ only (0.4.2 ignores the unknown field).</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(GpuConfigConverter))]
    public GpuConfig? Gpus { get; init; }
}

/// <summary><c>ResizeVmRequest</c>: vcpu, memory (MB), disk (GB, grow only) and image; the VM must be stopped.</summary>
internal sealed record ResizeVmRequest
{
    public string Id { get; init; } = "";

    public int? Vcpu { get; init; }

    public int? Memory { get; init; }

    public int? DiskSize { get; init; }

    public string? Image { get; init; }
}
