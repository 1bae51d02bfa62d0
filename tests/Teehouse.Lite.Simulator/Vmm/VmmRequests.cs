using Teehouse.Lite.Simulator.Prpc;

namespace Teehouse.Lite.Simulator.Vmm;

// Request messages of vmm_rpc.proto, read with proto3/serde defaulting rules.

internal sealed record PortMappingRequest(string Protocol, uint HostPort, uint VmPort, string HostAddress)
{
    public static PortMappingRequest Read(MessageReader m) =>
        new(m.String("protocol"), m.UInt32("host_port"), m.UInt32("vm_port"), m.String("host_address"));
}

internal sealed record GpuConfigRequest(IReadOnlyList<string> Slots, string AttachMode)
{
    /// <summary>Mirrors <c>GpuConfig::is_empty</c>: "all" never counts as empty.</summary>
    public bool IsEmpty => AttachMode != "all" && Slots.Count == 0;

    public static GpuConfigRequest? Read(MessageReader parent, string field)
    {
        var m = parent.Message(field, "GpuConfig");
        return m is null
            ? null
            : new GpuConfigRequest(
                m.MessageList("gpus", "GpuSpec").Select(g => g.String("slot")).ToList(),
                m.String("attach_mode"));
    }
}

internal sealed record NetworkingRequest(string Mode, string BridgeName)
{
    public static NetworkingRequest Read(MessageReader m) => new(m.String("mode"), m.String("bridge_name"));
}

internal sealed record VmConfigurationRequest
{
    public required string Name { get; init; }
    public required string Image { get; init; }
    public required string ComposeFile { get; init; }
    public uint Vcpu { get; init; }
    public uint Memory { get; init; }
    public uint DiskSize { get; init; }
    public required IReadOnlyList<PortMappingRequest> Ports { get; init; }
    public required byte[] EncryptedEnv { get; init; }
    public string? AppId { get; init; }
    public required string UserConfig { get; init; }
    public bool Hugepages { get; init; }
    public bool PinNuma { get; init; }
    public GpuConfigRequest? Gpus { get; init; }
    public required IReadOnlyList<string> KmsUrls { get; init; }
    public required IReadOnlyList<string> GatewayUrls { get; init; }
    public bool Stopped { get; init; }
    public bool NoTee { get; init; }
    public NetworkingRequest? Networking { get; init; }
    public required IReadOnlyList<NetworkingRequest> Networks { get; init; }
    public string? SimulatedTee { get; init; }

    public static VmConfigurationRequest Read(MessageReader m)
    {
        var networking = m.Message("networking", "NetworkingConfig");
        return new VmConfigurationRequest
        {
            Name = m.String("name"),
            Image = m.String("image"),
            ComposeFile = m.String("compose_file"),
            Vcpu = m.UInt32("vcpu"),
            Memory = m.UInt32("memory"),
            DiskSize = m.UInt32("disk_size"),
            Ports = m.MessageList("ports", "PortMapping").Select(PortMappingRequest.Read).ToList(),
            EncryptedEnv = m.Bytes("encrypted_env"),
            AppId = m.OptionalString("app_id"),
            UserConfig = m.String("user_config"),
            Hugepages = m.Bool("hugepages"),
            PinNuma = m.Bool("pin_numa"),
            Gpus = GpuConfigRequest.Read(m, "gpus"),
            KmsUrls = m.StringList("kms_urls"),
            GatewayUrls = m.StringList("gateway_urls"),
            Stopped = m.Bool("stopped"),
            NoTee = m.Bool("no_tee"),
            Networking = networking is null ? null : NetworkingRequest.Read(networking),
            Networks = m.MessageList("networks", "NetworkingConfig").Select(NetworkingRequest.Read).ToList(),
            SimulatedTee = m.OptionalString("simulated_tee"),
        };
    }
}

internal sealed record UpdateVmRequest
{
    public required string Id { get; init; }
    public required string ComposeFile { get; init; }
    public required byte[] EncryptedEnv { get; init; }
    public required string UserConfig { get; init; }
    public bool UpdatePorts { get; init; }
    public required IReadOnlyList<PortMappingRequest> Ports { get; init; }
    public bool UpdateKmsUrls { get; init; }
    public required IReadOnlyList<string> KmsUrls { get; init; }
    public bool UpdateGatewayUrls { get; init; }
    public required IReadOnlyList<string> GatewayUrls { get; init; }
    public GpuConfigRequest? Gpus { get; init; }
    public uint? Vcpu { get; init; }
    public uint? Memory { get; init; }
    public uint? DiskSize { get; init; }
    public string? Image { get; init; }
    public bool? NoTee { get; init; }
    public bool UpdateNetworking { get; init; }
    public required IReadOnlyList<NetworkingRequest> Networks { get; init; }

    public static UpdateVmRequest Read(MessageReader m) => new()
    {
        Id = m.String("id"),
        ComposeFile = m.String("compose_file"),
        EncryptedEnv = m.Bytes("encrypted_env"),
        UserConfig = m.String("user_config"),
        UpdatePorts = m.Bool("update_ports"),
        Ports = m.MessageList("ports", "PortMapping").Select(PortMappingRequest.Read).ToList(),
        UpdateKmsUrls = m.Bool("update_kms_urls"),
        KmsUrls = m.StringList("kms_urls"),
        UpdateGatewayUrls = m.Bool("update_gateway_urls"),
        GatewayUrls = m.StringList("gateway_urls"),
        Gpus = GpuConfigRequest.Read(m, "gpus"),
        Vcpu = m.OptionalUInt32("vcpu"),
        Memory = m.OptionalUInt32("memory"),
        DiskSize = m.OptionalUInt32("disk_size"),
        Image = m.OptionalString("image"),
        NoTee = m.OptionalBool("no_tee"),
        UpdateNetworking = m.Bool("update_networking"),
        Networks = m.MessageList("networks", "NetworkingConfig").Select(NetworkingRequest.Read).ToList(),
    };
}

internal sealed record ResizeVmRequest(string Id, uint? Vcpu, uint? Memory, uint? DiskSize, string? Image)
{
    public static ResizeVmRequest Read(MessageReader m) =>
        new(m.String("id"), m.OptionalUInt32("vcpu"), m.OptionalUInt32("memory"), m.OptionalUInt32("disk_size"), m.OptionalString("image"));
}

internal sealed record StatusRequest(IReadOnlyList<string> Ids, bool Brief, string Keyword, uint Page, uint PageSize)
{
    public static StatusRequest Read(MessageReader m) =>
        new(m.StringList("ids"), m.Bool("brief"), m.String("keyword"), m.UInt32("page"), m.UInt32("page_size"));
}
