using System.Text.Json.Serialization;

namespace Teehouse.Lite.Simulator.Vmm;

// Response messages of vmm_rpc.proto. Property order is proto field order (serde emits declaration
// order); names become the proto snake_case names through PrpcJson's naming policy.

internal sealed record IdMessage(string Id);

internal sealed record ComposeHashMessage(string Hash);

internal sealed record VersionResponse(string Version, string Rev);

internal sealed record PortMappingMessage(string Protocol, uint HostPort, uint VmPort, string HostAddress);

internal sealed record GpuSpecMessage(string Slot);

/// <summary>0.4.x GpuSpec, emitted as a JSON array in VmConfiguration.gpus.</summary>
internal sealed record LegacyGpuSpecMessage(string ProductId, string Slot);

internal sealed record GpuConfigMessage(IReadOnlyList<GpuSpecMessage> Gpus, string AttachMode);

internal sealed record NetworkingConfigMessage(string Mode, string BridgeName);

internal sealed record VmConfigurationMessage(
    string Name,
    string Image,
    string ComposeFile,
    uint Vcpu,
    uint Memory,
    uint DiskSize,
    IReadOnlyList<PortMappingMessage> Ports,
    string EncryptedEnv,
    string? AppId,
    string UserConfig,
    bool Hugepages,
    bool PinNuma,
    object? Gpus, // GpuConfigMessage, or a list of LegacyGpuSpecMessage on 0.4.x
    IReadOnlyList<string> KmsUrls,
    IReadOnlyList<string> GatewayUrls,
    bool Stopped,
    bool NoTee,
    NetworkingConfigMessage? Networking,
    IReadOnlyList<NetworkingConfigMessage> Networks,
    string? SimulatedTee);

internal sealed record GuestEventMessage(string Event, string Body, ulong Timestamp);

internal sealed record NetworkInterfaceStatusMessage(string Mode, string Backend, string Mac, string? BridgeName, string? NetdevId);

internal sealed record VmInfoMessage(
    string Id,
    string Name,
    string Status,
    string Uptime,
    string? AppUrl,
    string AppId,
    string? InstanceId,
    VmConfigurationMessage? Configuration,
    string? ExitedAt,
    string BootProgress,
    string BootError,
    string ShutdownProgress,
    string ImageVersion,
    IReadOnlyList<GuestEventMessage> Events,
    IReadOnlyList<NetworkInterfaceStatusMessage> Interfaces);

internal sealed record StatusResponse(IReadOnlyList<VmInfoMessage> Vms, bool PortMappingEnabled, uint Total);

internal sealed record GetInfoResponse(bool Found, VmInfoMessage? Info);

internal sealed record ImageInfoMessage(string Name, string Description, string Version, bool IsDev);

internal sealed record ImageListResponse(IReadOnlyList<ImageInfoMessage> Images);

internal sealed record KmsSettingsMessage(string Url, IReadOnlyList<string> Urls);

internal sealed record GatewaySettingsMessage(string Url, string BaseDomain, uint Port, uint AgentPort, IReadOnlyList<string> Urls);

internal sealed record ResourcesSettingsMessage(uint MaxCvmNumber, uint MaxAllocableVcpu, uint MaxAllocableMemoryInMb);

internal sealed record NetworkingCapabilitiesMessage(IReadOnlyList<string> SupportedModes, string DefaultMode, string DefaultBridge);

internal sealed record GetMetaResponse(
    KmsSettingsMessage Kms,
    GatewaySettingsMessage Gateway,
    ResourcesSettingsMessage Resources,
    NetworkingCapabilitiesMessage Networking);

internal sealed record GpuInfoMessage(string Slot, string ProductId, string Description, bool IsFree);

internal sealed record ListGpusResponse(IReadOnlyList<GpuInfoMessage> Gpus, bool AllowAttachAll);

internal sealed record ReloadVmsResponse(uint Loaded, uint Updated, uint Removed);

internal sealed record PublicKeyResponse(
    string PublicKey,
    string Signature,
    ulong Timestamp,
    [property: JsonPropertyName("signature_v1")] string SignatureV1);

/// <summary>The image's metadata.json, serialized in the field order of dstack's <c>ImageInfo</c>.</summary>
internal sealed record ImageMetadata(
    string? Cmdline,
    string Kernel,
    string Initrd,
    string? Hda,
    string? Rootfs,
    string? Bios,
    [property: JsonPropertyName("bios-sev")] string? BiosSev,
    string? RootfsHash,
    bool SharedRo,
    string Version,
    bool IsDev,
    string? OvmfVariant);
