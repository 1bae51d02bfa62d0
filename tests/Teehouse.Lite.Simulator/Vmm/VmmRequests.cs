using Teehouse.Lite.Simulator.Profiles;
using Teehouse.Lite.Simulator.Prpc;

namespace Teehouse.Lite.Simulator.Vmm;

// Request messages of vmm_rpc.proto, read with proto3/serde defaulting rules. A field the profile's proto does not
// have is never read: serde ignores unknown fields, so it can neither take effect nor fail to decode.

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

/// <summary>0.4.x <c>GpuSpec { product_id = 1; slot = 2; }</c>, listed in <c>repeated GpuSpec gpus = 13</c>.</summary>
internal sealed record LegacyGpuSpec(string ProductId, string Slot)
{
    public static IReadOnlyList<LegacyGpuSpec> ReadList(MessageReader parent, string field) =>
        parent.MessageList(field, "GpuSpec").Select(g => new LegacyGpuSpec(g.String("product_id"), g.String("slot"))).ToList();
}

internal sealed record NetworkingRequest(string Mode, string BridgeName)
{
    public static NetworkingRequest Read(MessageReader m, VmmProfile p) =>
        new(m.String("mode"), p.HasMultiNetworking ? m.String("bridge_name") : "");
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
    public IReadOnlyList<LegacyGpuSpec> LegacyGpus { get; init; } = [];
    public required IReadOnlyList<string> KmsUrls { get; init; }
    public required IReadOnlyList<string> GatewayUrls { get; init; }
    public bool Stopped { get; init; }
    public bool NoTee { get; init; }
    public NetworkingRequest? Networking { get; init; }
    public required IReadOnlyList<NetworkingRequest> Networks { get; init; }
    public string? SimulatedTee { get; init; }

    public static VmConfigurationRequest Read(MessageReader m, VmmProfile p)
    {
        var networking = p.HasNoTeeAndNetworking ? m.Message("networking", "NetworkingConfig") : null;
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
            Gpus = p.GpusAsArray ? null : GpuConfigRequest.Read(m, "gpus"),
            LegacyGpus = p.GpusAsArray ? LegacyGpuSpec.ReadList(m, "gpus") : [],
            KmsUrls = p.HasPerVmUrls ? m.StringList("kms_urls") : [],
            GatewayUrls = p.HasPerVmUrls ? m.StringList("gateway_urls") : [],
            Stopped = p.CreateCanStayStopped && m.Bool("stopped"),
            NoTee = p.HasNoTeeAndNetworking && m.Bool("no_tee"),
            Networking = networking is null ? null : NetworkingRequest.Read(networking, p),
            Networks = p.HasMultiNetworking ? m.MessageList("networks", "NetworkingConfig").Select(n => NetworkingRequest.Read(n, p)).ToList() : [],
            SimulatedTee = p.HasMultiNetworking ? m.OptionalString("simulated_tee") : null,
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

    /// <summary>
    /// UpdateVmRequest (0.5.6+), or on older profiles the UpgradeAppRequest it grew from: id, compose_file,
    /// encrypted_env, user_config, update_ports, ports (v0.4.2 vmm_rpc.proto:92-105) and gpus from 0.5.0.
    /// </summary>
    public static UpdateVmRequest Read(MessageReader m, VmmProfile p)
    {
        var full = p.HasUpdateVm;
        return new()
        {
            Id = m.String("id"),
            ComposeFile = m.String("compose_file"),
            EncryptedEnv = m.Bytes("encrypted_env"),
            UserConfig = m.String("user_config"),
            UpdatePorts = m.Bool("update_ports"),
            Ports = m.MessageList("ports", "PortMapping").Select(PortMappingRequest.Read).ToList(),
            UpdateKmsUrls = full && m.Bool("update_kms_urls"),
            KmsUrls = full ? m.StringList("kms_urls") : [],
            UpdateGatewayUrls = full && m.Bool("update_gateway_urls"),
            GatewayUrls = full ? m.StringList("gateway_urls") : [],
            Gpus = p.UpgradeAppTakesGpus ? GpuConfigRequest.Read(m, "gpus") : null,
            Vcpu = full ? m.OptionalUInt32("vcpu") : null,
            Memory = full ? m.OptionalUInt32("memory") : null,
            DiskSize = full ? m.OptionalUInt32("disk_size") : null,
            Image = full ? m.OptionalString("image") : null,
            NoTee = full ? m.OptionalBool("no_tee") : null,
            UpdateNetworking = p.HasMultiNetworking && m.Bool("update_networking"),
            Networks = p.HasMultiNetworking
                ? m.MessageList("networks", "NetworkingConfig").Select(n => NetworkingRequest.Read(n, p)).ToList()
                : [],
        };
    }
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
