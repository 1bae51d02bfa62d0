namespace Teehouse.Lite.Simulator.Vms;

/// <summary>An immutable copy of one simulated VM, for tests to assert on.</summary>
public sealed record VmSnapshot
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Status { get; init; }
    public required string AppId { get; init; }
    public string? InstanceId { get; init; }
    public required string Image { get; init; }
    public required string ImageVersion { get; init; }
    public uint Vcpu { get; init; }
    public uint Memory { get; init; }
    public uint DiskSize { get; init; }
    public required string ComposeFile { get; init; }
    public required byte[] EncryptedEnv { get; init; }
    public required string UserConfig { get; init; }
    public required IReadOnlyList<PortMap> Ports { get; init; }
    public required IReadOnlyList<string> KmsUrls { get; init; }
    public required IReadOnlyList<string> GatewayUrls { get; init; }
    public GpuSelection? Gpus { get; init; }
    public bool NoTee { get; init; }
    public bool Hugepages { get; init; }
    public bool PinNuma { get; init; }
    public bool Started { get; init; }
    public bool Running { get; init; }
    public bool Removing { get; init; }
    public required string BootProgress { get; init; }
    public required string BootError { get; init; }
    public required string ShutdownProgress { get; init; }
    public required IReadOnlyList<GuestEvent> Events { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ProcessStartedAt { get; init; }
    public DateTimeOffset? ProcessStoppedAt { get; init; }
    public required string Uptime { get; init; }
    public required string ExitedAt { get; init; }
    public uint Cid { get; init; }
}
