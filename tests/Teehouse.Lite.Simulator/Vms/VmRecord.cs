namespace Teehouse.Lite.Simulator.Vms;

/// <summary>
/// Everything dstack-vmm keeps for one VM: the persisted manifest and shared files plus the runtime
/// state held by the VMM and its supervisor. Mutated only under <see cref="SimulatorState"/>'s lock.
/// </summary>
internal sealed class VmRecord
{
    // --- vm-manifest.json ---
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string AppId { get; set; }
    public required string Image { get; set; }
    public uint Vcpu { get; set; }
    public uint Memory { get; set; }
    public uint DiskSize { get; set; }
    public List<PortMap> Ports { get; set; } = [];
    public long CreatedAtMs { get; init; }
    public bool Hugepages { get; set; }
    public bool PinNuma { get; set; }
    public GpuSelection? Gpus { get; set; } = GpuSelection.None;
    public List<string> KmsUrls { get; set; } = [];
    public List<string> GatewayUrls { get; set; } = [];
    public bool NoTee { get; set; }
    public string? SimulatedTee { get; set; }
    public List<NetworkSetting> Networks { get; set; } = [];

    // --- shared/ files and vm-state.json ---
    public required string ComposeFile { get; set; }
    public byte[] EncryptedEnv { get; set; } = [];
    public string UserConfig { get; set; } = "";
    public bool Started { get; set; }

    // --- runtime (VMM memory + supervisor) ---
    public uint Cid { get; init; }
    public bool Running { get; set; }
    public bool Removing { get; set; }
    public string BootProgress { get; set; } = "";
    public string BootError { get; set; } = "";
    public string ShutdownProgress { get; set; } = "";
    public LinkedList<GuestEvent> Events { get; } = new();
    public string? InstanceId { get; set; }
    public DateTimeOffset? ProcessStartedAt { get; set; }
    public DateTimeOffset? ProcessStoppedAt { get; set; }

    /// <summary>gateway_enabled of the compose as last loaded (dstack caches it at load_vm).</summary>
    public bool GatewayEnabled { get; set; }

    public string ImageVersion { get; set; } = "";

    /// <summary>Bumped on every process start/stop so stale delayed transitions (shutdown) can tell they lost a race.</summary>
    public long ProcessGeneration { get; set; }

    public VmLog Log { get; } = new();

    public string Status => VmStatus.Derive(Removing, Started, Running);

    public void AddEvent(GuestEvent e, int capacity)
    {
        Events.AddLast(e);
        while (Events.Count > capacity)
        {
            Events.RemoveFirst();
        }
    }

    public VmSnapshot Snapshot(DateTimeOffset now) => new()
    {
        Id = Id,
        Name = Name,
        Status = Status,
        AppId = AppId,
        InstanceId = InstanceId,
        Image = Image,
        ImageVersion = ImageVersion,
        Vcpu = Vcpu,
        Memory = Memory,
        DiskSize = DiskSize,
        ComposeFile = ComposeFile,
        EncryptedEnv = EncryptedEnv.ToArray(),
        UserConfig = UserConfig,
        Ports = Ports.ToArray(),
        KmsUrls = KmsUrls.ToArray(),
        GatewayUrls = GatewayUrls.ToArray(),
        Gpus = Gpus,
        NoTee = NoTee,
        Hugepages = Hugepages,
        PinNuma = PinNuma,
        Started = Started,
        Running = Running,
        Removing = Removing,
        BootProgress = BootProgress,
        BootError = BootError,
        ShutdownProgress = ShutdownProgress,
        Events = Events.ToArray(),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs),
        ProcessStartedAt = ProcessStartedAt,
        ProcessStoppedAt = ProcessStoppedAt,
        Uptime = Humantime.Since(ProcessStartedAt, now),
        ExitedAt = Humantime.Since(ProcessStoppedAt, now),
        Cid = Cid,
    };
}
