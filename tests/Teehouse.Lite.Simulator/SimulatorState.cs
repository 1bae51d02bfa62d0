using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Simulator.Faults;
using Teehouse.Lite.Simulator.Kms;
using Teehouse.Lite.Simulator.Profiles;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator;

/// <summary>
/// The simulated host's memory: VMs, images, KMS keys and the injected fault. Survives
/// <see cref="SimulatorHost.GoDownAsync"/> / <see cref="SimulatorHost.ComeBackAsync"/>, and is safe to use
/// from tests while requests are in flight.
/// </summary>
public sealed partial class SimulatorState : IDisposable
{
    private readonly Dictionary<string, VmRecord> _vms = new(StringComparer.Ordinal);
    private readonly Stack<uint> _freeCids = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = new();
    private Random _random;
    private readonly Dictionary<string, SimImage> _images;
    private uint _nextCid;

    internal SimulatorState(SimulatorOptions options)
    {
        Options = options;
        Profile = VmmProfile.Parse(options.VmmVersion);
        _random = new Random(options.Seed);
        _images = options.Images.ToDictionary(i => i.Name, StringComparer.Ordinal);
        CidCapacity = Math.Max(options.MaxCvmNumber, (uint)Math.Max(options.PrepopulateVms, 0));
        _nextCid = options.CidStart;
        Kms = new KmsKeys(options.Seed);
        Faults = new FaultState(options.InitialFault, options.InitialFaultDelay);
    }

    public SimulatorOptions Options { get; }

    /// <summary>The dstack release being simulated.</summary>
    public VmmProfile Profile { get; }

    /// <summary>CARGO_PKG_VERSION as reported (an explicit <see cref="SimulatorOptions.Version"/> wins).</summary>
    public string ReportedVersion => Options.Version ?? Profile.ReportedVersion;

    /// <summary>Git revision as reported (an explicit <see cref="SimulatorOptions.Rev"/> wins).</summary>
    public string ReportedRev => Options.Rev ?? Profile.Rev;

    internal Lock Sync { get; } = new();

    internal KmsKeys Kms { get; }

    internal FaultState Faults { get; }

    internal uint CidCapacity { get; }

    internal CancellationToken Lifetime => _lifetime.Token;

    internal Uri BaseUrl { get; set; } = new("http://127.0.0.1/");

    internal DateTimeOffset Now => Options.Clock.GetUtcNow();

    /// <summary>Id of the pre-populated VM whose compose_file is deliberately not valid JSON (null if none).</summary>
    public string? BrokenComposeVmId { get; internal set; }

    /// <summary>The currently injected fault.</summary>
    public FaultMode Fault => Faults.Current.Mode;

    public int VmCount
    {
        get
        {
            lock (Sync)
            {
                return _vms.Count;
            }
        }
    }

    public IReadOnlyList<SimImage> Images => Options.Images;

    /// <summary>33-byte compressed secp256k1 key (hex) that signs env-encryption keys: KMS GetMeta's k256_pubkey.</summary>
    public string KmsK256PublicKey => HexBytes.Encode(Kms.Signer.CompressedPublicKey);

    /// <summary>The KMS root CA certificate (PEM) returned by KMS GetMeta.</summary>
    public string KmsCaCertPem => Kms.CaCertPem;

    /// <summary>os_image_hash (digest.txt) of an image; dstack does not expose it over the management API.</summary>
    public string? GetImageDigest(string imageName) =>
        _images.TryGetValue(imageName, out var image) ? image.EffectiveDigest : null;

    /// <summary>How many times a pRPC method (after prefix trimming) was called on any surface.</summary>
    public int CallCount(string method) => _calls.TryGetValue(method, out var n) ? n : 0;

    public int TotalCalls => _calls.Values.Sum();

    public IReadOnlyList<VmSnapshot> ListVms()
    {
        lock (Sync)
        {
            var now = Now;
            return SortedVms().Select(v => v.Snapshot(now)).ToList();
        }
    }

    public VmSnapshot? GetVm(string id)
    {
        lock (Sync)
        {
            return _vms.TryGetValue(id, out var vm) ? vm.Snapshot(Now) : null;
        }
    }

    /// <summary>Places a VM straight into memory, as if loaded from disk at VMM start. Returns its id.</summary>
    public string AddVm(VmSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (Sync)
        {
            var id = spec.Id ?? NewVmId();
            if (_vms.ContainsKey(id))
            {
                throw new ArgumentException($"VM {id} already exists", nameof(spec));
            }

            var cid = AllocateCid() ?? throw new InvalidOperationException("CID pool exhausted");
            var now = Now;
            var image = _images.GetValueOrDefault(spec.Image);
            var vm = new VmRecord
            {
                Id = id,
                Name = spec.Name,
                AppId = spec.AppId ?? AppIdOf(spec.ComposeFile),
                Image = spec.Image,
                Vcpu = spec.Vcpu,
                Memory = spec.Memory,
                DiskSize = spec.DiskSize,
                Ports = [.. spec.Ports],
                KmsUrls = [.. spec.KmsUrls],
                GatewayUrls = [.. spec.GatewayUrls],
                CreatedAtMs = (spec.CreatedAt ?? now).ToUnixTimeMilliseconds(),
                ComposeFile = spec.ComposeFile,
                EncryptedEnv = spec.EncryptedEnv.ToArray(),
                UserConfig = spec.UserConfig,
                Cid = cid,
                InstanceId = string.IsNullOrWhiteSpace(spec.InstanceId) ? null : spec.InstanceId,
                GatewayEnabled = AppCompose.ReadLoose(spec.ComposeFile).GatewayEnabled,
                ImageVersion = image?.Version ?? "",
            };

            var (started, running) = spec.Status switch
            {
                VmStatus.Running => (true, true),
                VmStatus.Exited => (true, false),
                VmStatus.Stopping => (false, true),
                VmStatus.Stopped => (false, false),
                _ => throw new ArgumentException($"unsupported initial status {spec.Status}", nameof(spec)),
            };
            vm.Started = started;
            vm.Running = running;
            if (running || spec.ProcessStartedAt is not null || spec.Status == VmStatus.Exited)
            {
                vm.ProcessStartedAt = spec.ProcessStartedAt ?? now;
            }

            if (!running && vm.ProcessStartedAt is not null)
            {
                vm.ProcessStoppedAt = spec.ProcessStoppedAt ?? now;
            }

            vm.BootProgress = spec.BootProgress ?? (vm.ProcessStartedAt is null ? "" : "done");
            vm.Log.Append(LogChannel.Serial, "[    0.000000] Linux version 6.9.0-dstack (builder@dstack) #1 SMP PREEMPT_DYNAMIC");
            if (vm.ProcessStartedAt is not null)
            {
                VmLogLines.Boot(vm);
            }

            _vms.Add(id, vm);
            return id;
        }
    }

    /// <summary>Decrypts an encrypted_env blob with the simulated KMS's key for <paramref name="appId"/> (40 hex).</summary>
    public bool TryDecryptEnv(string appId, byte[] encryptedEnv, out string plaintextJson)
    {
        plaintextJson = "";
        byte[] appIdBytes;
        try
        {
            appIdBytes = HexBytes.Decode(appId);
        }
        catch (PrpcException)
        {
            return false;
        }

        if (!EnvEncryption.TryDecrypt(Kms.EnvSecret(appIdBytes), encryptedEnv, out var plaintext))
        {
            return false;
        }

        try
        {
            plaintextJson = new UTF8Encoding(false, true).GetString(plaintext);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The X25519 public key the KMS hands out for <paramref name="appId"/> (40 hex).</summary>
    public byte[] GetEnvEncryptPublicKey(string appId) => Kms.EnvPublicKey(HexBytes.Decode(appId));

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    // ---------------------------------------------------------------------------------------------
    // Internals shared by the RPC services. Callers hold Sync unless stated otherwise.
    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Lets the next <paramref name="successfulCalls"/> calls of <paramref name="method"/> through, then switches
    /// <paramref name="mode"/> on for every call: a host that dies half-way through a paged listing.
    /// </summary>
    public void FailAfter(string method, int successfulCalls, FaultMode mode = FaultMode.Error500)
    {
        lock (_tripGate) _trip = (method, successfulCalls, mode);
    }

    internal void BeforeCall(string method)
    {
        lock (_tripGate)
        {
            if (_trip is not { } trip || trip.Method != method) return;
            if (trip.Remaining > 0)
            {
                _trip = trip with { Remaining = trip.Remaining - 1 };
                return;
            }
            _trip = null;
            Faults.Set(trip.Mode, null);
        }
    }

    private readonly Lock _tripGate = new();
    private (string Method, int Remaining, FaultMode Mode)? _trip;

    /// <summary>Encrypts env as deploying clients do (ephemeral X25519, AES-256-GCM), for tests that play the client.</summary>
    public static byte[] EncryptEnv(byte[] recipientPublicKey, string plaintextJson) =>
        EnvEncryption.Encrypt(recipientPublicKey, Encoding.UTF8.GetBytes(plaintextJson),
            RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(12));

    internal void CountCall(string method) => _calls.AddOrUpdate(method, 1, static (_, n) => n + 1);

    internal bool TryGetVm(string id, out VmRecord vm) => _vms.TryGetValue(id, out vm!);

    internal IEnumerable<VmRecord> AllVms => _vms.Values;

    internal int VmCountUnlocked => _vms.Count;

    internal List<VmRecord> SortedVms()
    {
        var list = new List<VmRecord>(_vms.Values);
        list.Sort(static (a, b) =>
        {
            var c = a.CreatedAtMs.CompareTo(b.CreatedAtMs);
            return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
        });
        return list;
    }

    internal SimImage? FindImage(string name) => _images.GetValueOrDefault(name);

    internal void Add(VmRecord vm) => _vms.Add(vm.Id, vm);

    internal uint? AllocateCid()
    {
        if (_vms.Count >= CidCapacity)
        {
            return null;
        }

        return _freeCids.Count > 0 ? _freeCids.Pop() : _nextCid++;
    }

    internal string NewVmId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    internal static string AppIdOf(string composeFile) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(composeFile)))[..40];

    /// <summary>Launches the VM's (simulated) QEMU under the supervisor.</summary>
    internal void StartProcess(VmRecord vm)
    {
        vm.Running = true;
        vm.ProcessStartedAt = Now;
        vm.ProcessStoppedAt = null;
        vm.ProcessGeneration++;
        VmLogLines.Boot(vm);
    }

    internal void StopProcess(VmRecord vm)
    {
        if (!vm.Running)
        {
            return;
        }

        vm.Running = false;
        vm.ProcessStoppedAt = Now;
        vm.ProcessGeneration++;
        vm.Log.Append(LogChannel.Serial, "[  OK  ] Reached target System Power Off.");
        vm.Log.Append(LogChannel.Stdout, "qemu-system-x86_64: terminating on signal 15 from pid 1 (supervisor)");
    }

    /// <summary>Runs <paramref name="action"/> under the lock after <paramref name="delay"/> on the configured clock.</summary>
    internal void After(TimeSpan delay, Action action)
    {
        var token = Lifetime;
        _ = Task.Run(async () =>
        {
            try
            {
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, Options.Clock, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (Sync)
            {
                action();
            }
        }, CancellationToken.None);
    }

    internal void FreeAndForget(VmRecord vm)
    {
        if (_vms.Remove(vm.Id))
        {
            _freeCids.Push(vm.Cid);
        }
    }
}
