namespace Teehouse.Lite.Simulator.Vms;

/// <summary>
/// A VM to place directly into the simulator's state (as if dstack-vmm had loaded it from its run
/// directory at startup). No validation is applied, so tests can plant states real clients must cope with.
/// </summary>
public sealed record VmSpec
{
    public string? Id { get; init; }
    public required string Name { get; init; }
    public string Image { get; init; } = "dstack-0.5.5";
    public required string ComposeFile { get; init; }

    /// <summary>Defaults to the first 40 hex chars of sha256(compose_file).</summary>
    public string? AppId { get; init; }

    public uint Vcpu { get; init; } = 1;
    public uint Memory { get; init; } = 1024;
    public uint DiskSize { get; init; } = 20;

    /// <summary>One of running, stopped, exited, stopping.</summary>
    public string Status { get; init; } = VmStatus.Running;

    public string? InstanceId { get; init; }
    public string? BootProgress { get; init; }
    public byte[] EncryptedEnv { get; init; } = [];
    public string UserConfig { get; init; } = "";
    public IReadOnlyList<PortMap> Ports { get; init; } = [];
    public IReadOnlyList<string> KmsUrls { get; init; } = [];
    public IReadOnlyList<string> GatewayUrls { get; init; } = [];
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? ProcessStartedAt { get; init; }
    public DateTimeOffset? ProcessStoppedAt { get; init; }
}
