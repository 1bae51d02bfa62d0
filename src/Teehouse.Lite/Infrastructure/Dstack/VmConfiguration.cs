namespace Teehouse.Lite.Infrastructure.Dstack;

// vmm_rpc.proto VmConfiguration and its parts: the CreateVm / GetComposeHash input, echoed back in VmInfo.configuration.
// Every property has the proto default, and null from the wire reads as that default, so a field a server leaves out
// (or sends as null) never fails a call. Optional proto fields are nullable and are omitted from requests when null.

/// <summary>A CVM's configuration (<c>VmConfiguration</c>).</summary>
public sealed record VmConfiguration
{
    /// <summary>Display name; dstack allows <c>[A-Za-z0-9]</c> and <c>- _ . space @ ~ ! $ ^ ( )</c>.</summary>
    public string Name { get; init => field = value ?? ""; } = "";

    /// <summary>Guest image directory name, e.g. <c>dstack-0.5.5</c>.</summary>
    public string Image { get; init => field = value ?? ""; } = "";

    /// <summary>The app-compose.json text; its exact bytes are what the compose hash covers.</summary>
    public string ComposeFile { get; init => field = value ?? ""; } = "";

    public int Vcpu { get; init; }

    /// <summary>Memory in MB.</summary>
    public int Memory { get; init; }

    /// <summary>Disk size in GB.</summary>
    public int DiskSize { get; init; }

    public IReadOnlyList<PortMapping> Ports { get; init => field = value ?? []; } = [];

    /// <summary>The encrypted env blob as lowercase hex (an optional <c>0x</c> is stripped).</summary>
    public string EncryptedEnv { get; init => field = Hex.Normalize(value); } = "";

    /// <summary>40 hex chars; when null dstack uses the first 40 hex chars of sha256(compose_file).</summary>
    public string? AppId { get; init; }

    public string UserConfig { get; init => field = value ?? ""; } = "";

    public bool Hugepages { get; init; }

    public bool PinNuma { get; init; }

    [System.Text.Json.Serialization.JsonConverter(typeof(GpuConfigConverter))]
    public GpuConfig? Gpus { get; init; }

    public IReadOnlyList<string> KmsUrls { get; init => field = value ?? []; } = [];

    public IReadOnlyList<string> GatewayUrls { get; init => field = value ?? []; } = [];

    /// <summary>Create without starting; in VmInfo output: the VM is not meant to run.</summary>
    public bool Stopped { get; init; }

    public bool NoTee { get; init; }

    public NetworkingConfig? Networking { get; init; }

    public IReadOnlyList<NetworkingConfig> Networks { get; init => field = value ?? []; } = [];

    public string? SimulatedTee { get; init; }
}

/// <summary>A host port forwarded into the CVM (<c>PortMapping</c>).</summary>
public sealed record PortMapping
{
    /// <summary><c>tcp</c> or <c>udp</c>.</summary>
    public string Protocol { get; init => field = value ?? ""; } = "tcp";

    public int HostPort { get; init; }

    public int VmPort { get; init; }

    /// <summary>Host IP to bind; empty means the vmm's <c>cvm.port_mapping.address</c>.</summary>
    public string HostAddress { get; init => field = value ?? ""; } = "";
}

/// <summary>GPU attachment (<c>GpuConfig</c>).</summary>
public sealed record GpuConfig
{
    public IReadOnlyList<GpuSpec> Gpus { get; init => field = value ?? []; } = [];

    /// <summary><c>listed</c> or <c>all</c>.</summary>
    public string AttachMode { get; init => field = value ?? ""; } = "listed";
}

/// <summary>One GPU by PCI slot, e.g. <c>18:00.0</c>.</summary>
public sealed record GpuSpec
{
    public string Slot { get; init => field = value ?? ""; } = "";
}

/// <summary>A CVM network (<c>NetworkingConfig</c>).</summary>
public sealed record NetworkingConfig
{
    /// <summary><c>user</c> or <c>bridge</c>.</summary>
    public string Mode { get; init => field = value ?? ""; } = "";

    public string BridgeName { get; init => field = value ?? ""; } = "";
}
