namespace Teehouse.Lite.Simulator;

/// <summary>
/// Knobs mirroring the parts of <c>vmm.toml</c> (and the companion KMS/gateway) that change what a
/// client observes. Defaults follow dstack's built-in configuration.
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (kept across <see cref="SimulatorHost.ComeBackAsync"/>).</summary>
    public int Port { get; set; }

    /// <summary>Number of VMs to pre-populate (deterministic from <see cref="Seed"/>).</summary>
    public int PrepopulateVms { get; set; }

    /// <summary>
    /// Seed for every generated value: pre-populated VMs, KMS keys, and (mixed with the port) VM ids. Two simulators
    /// with one seed share their KMS keys and their VMs' contents, but not their VM ids, since they listen on different
    /// ports; one restarted on its port (same seed) has the same VMs again.
    /// </summary>
    public int Seed { get; set; } = 20250101;

    /// <summary><c>[auth] enabled</c>.</summary>
    public bool AuthEnabled { get; set; }

    /// <summary><c>[auth] tokens</c>.</summary>
    public IReadOnlyList<string> Tokens { get; set; } = [];

    /// <summary><c>cvm.cid_pool_size</c>, reported as <c>max_cvm_number</c> and enforced as "CID pool exhausted".
    /// Raised to <see cref="PrepopulateVms"/> when smaller, so every pre-populated VM fits.</summary>
    public uint MaxCvmNumber { get; set; } = 1000;

    /// <summary><c>cvm.cid_start</c>.</summary>
    public uint CidStart { get; set; } = 1000;

    /// <summary>
    /// <c>cvm.max_allocable_vcpu</c> (reported only; dstack does not enforce it at CreateVm). Null: dstack's default
    /// (20), raised to twice what the pre-populated VMs hold, so a host seeded with many VMs keeps at least half its
    /// room for new deploys (the standalone simulator's default; in-process tests get the fixed 20).
    /// </summary>
    public uint? MaxAllocableVcpu { get; set; } = DefaultMaxAllocableVcpu;

    /// <summary><c>cvm.max_allocable_memory_in_mb</c> (reported only); null as for <see cref="MaxAllocableVcpu"/>.</summary>
    public uint? MaxAllocableMemoryMb { get; set; } = DefaultMaxAllocableMemoryMb;

    public const uint DefaultMaxAllocableVcpu = 20;

    public const uint DefaultMaxAllocableMemoryMb = 100_000;

    /// <summary><c>cvm.port_mapping.enabled</c>.</summary>
    public bool PortMappingEnabled { get; set; }

    /// <summary><c>cvm.port_mapping.address</c>, used when a mapping has no host_address.</summary>
    public string PortMappingAddress { get; set; } = "127.0.0.1";

    /// <summary><c>cvm.port_mapping.range</c>: allowed host ports for tcp (dstack's default range is tcp only).</summary>
    public uint PortMappingTcpFrom { get; set; } = 1;

    public uint PortMappingTcpTo { get; set; } = 20_000;

    /// <summary>Optional udp range; null means udp mappings are not allowed.</summary>
    public (uint From, uint To)? PortMappingUdpRange { get; set; }

    /// <summary><c>cvm.gpu.enabled</c>.</summary>
    public bool GpuEnabled { get; set; }

    /// <summary><c>cvm.gpu.allow_attach_all</c>.</summary>
    public bool GpuAllowAttachAll { get; set; } = true;

    /// <summary>Guest images found under <c>image.path</c>.</summary>
    public IReadOnlyList<SimImage> Images { get; set; } = SimImage.Defaults;

    /// <summary>How long the background cleanup of RemoveVm takes before the VM disappears.</summary>
    public TimeSpan RemoveDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long CreateVm takes to answer after the VM exists: a real vmm copies images and starts qemu for seconds, and
    /// a control plane killed (or a client that gives up) in that window must not lose or duplicate the VM.
    /// Settable while running.
    /// </summary>
    public TimeSpan CreateVmReplyDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How long a guest takes to power off after ShutdownVm ("stopping" window).</summary>
    public TimeSpan ShutdownDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// The dstack release to behave as (<see cref="Profiles.VmmProfile.Known"/>: "0.3.6", "0.4.2", "0.5.5", "0.5.6",
    /// "0.5.11", "next"). Defaults to the newest release a self-hoster can run; an unknown value fails at start.
    /// </summary>
    public string VmmVersion { get; set; } = Profiles.VmmProfile.Newest;

    /// <summary>Overrides the CARGO_PKG_VERSION reported by Version/X-App-Version; null reports the profile's own.</summary>
    public string? Version { get; set; }

    /// <summary>Overrides <c>Version.rev</c> (with its <c>git:</c> prefix); null reports the profile's release build.</summary>
    public string? Rev { get; set; }

    /// <summary>Top-level <c>kms_url</c> used by the VMM's GetAppEnvEncryptPubKey proxy; false simulates an empty value.</summary>
    public bool KmsConfigured { get; set; } = true;

    /// <summary><c>cvm.kms_urls</c>; null means the simulator's own <see cref="SimulatorHost.KmsUrl"/>.</summary>
    public IReadOnlyList<string>? KmsUrls { get; set; }

    /// <summary><c>cvm.gateway_urls</c>; null means the simulator's own <see cref="SimulatorHost.GatewayUrl"/>.</summary>
    public IReadOnlyList<string>? GatewayUrls { get; set; }

    /// <summary><c>[gateway] base_domain</c>.</summary>
    public string GatewayBaseDomain { get; set; } = "localhost";

    /// <summary><c>[gateway] port</c> (the public port apps are reached on).</summary>
    public uint GatewayPort { get; set; } = 8082;

    /// <summary><c>[gateway] agent_port</c> (guest agent dashboard port used in app_url).</summary>
    public uint GatewayAgentPort { get; set; } = 8090;

    /// <summary><c>run_path</c>, only visible inside error messages that quote file paths.</summary>
    public string RunPath { get; set; } = "/home/dstack/.dstack-vmm/vm";

    /// <summary><c>image.path</c>, likewise only quoted in error messages.</summary>
    public string ImagePath { get; set; } = "/home/dstack/.dstack-vmm/image";

    /// <summary><c>event_buffer_size</c>.</summary>
    public int EventBufferSize { get; set; } = 20;

    /// <summary>Idle interval between <c>[vmm heartbeat]</c> lines on followed log streams (dstack: 60 s).</summary>
    public TimeSpan LogHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>KMS is_dev / allow_any_upgrade.</summary>
    public bool KmsIsDev { get; set; } = true;

    /// <summary>KMS GetMeta gateway_app_id (null serializes as null, as with an unconfigured auth API).</summary>
    public string? KmsGatewayAppId { get; set; } = "any";

    public string? KmsContractAddress { get; set; }

    public ulong? KmsChainId { get; set; }

    public string? KmsAppAuthImplementation { get; set; }

    /// <summary>Clock used for uptime / exited_at / created_at; tests may substitute a fake.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Fault active from the start.</summary>
    public FaultMode InitialFault { get; set; } = FaultMode.None;

    /// <summary>Delay for <see cref="FaultMode.Slow"/> when none is given explicitly.</summary>
    public TimeSpan InitialFaultDelay { get; set; } = TimeSpan.FromSeconds(3);
}
