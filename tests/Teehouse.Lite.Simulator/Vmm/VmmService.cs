using Teehouse.Lite.Simulator.Kms;
using Teehouse.Lite.Simulator.Profiles;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>
/// The dstack-vmm <c>Vmm</c> service (vmm_rpc.proto). Checks run in the same order as in dstack's
/// <c>main_service.rs</c>/<c>app.rs</c> so that a request with several problems fails with the same message.
/// </summary>
internal sealed partial class VmmService : IPrpcService
{
    private readonly SimulatorState _state;
    private readonly SimulatorOptions _options;
    private readonly VmmProfile _profile;
    private readonly KmsService _kms;
    private readonly Dictionary<string, PrpcMethod> _methods;

    public VmmService(SimulatorState state, KmsService kms)
    {
        _state = state;
        _options = state.Options;
        _profile = state.Profile;
        _kms = kms;
        _methods = new Dictionary<string, PrpcMethod>(StringComparer.Ordinal)
        {
            ["Version"] = new("Empty", _ => new VersionResponse(_state.ReportedVersion, _state.ReportedRev)),
        };
        if (_profile.ServicePrefixRequired)
        {
            // 0.3.x teepod: only enough for a client to recognise it (Teepod.Version); its other messages are not modelled.
            return;
        }

        var p = _profile;
        // ≤0.5.5 UpgradeApp takes UpgradeAppRequest; from 0.5.6 it is UpdateVm under its old name.
        var upgradeInput = p.HasUpdateVm ? "UpdateVmRequest" : "UpgradeAppRequest";
        Add("CreateVm", "VmConfiguration", m => CreateVm(VmConfigurationRequest.Read(m, p)));
        Add("StartVm", "Id", m => StartVm(m.String("id")));
        Add("StopVm", "Id", m => StopVm(m.String("id")));
        Add("RemoveVm", "Id", m => RemoveVm(m.String("id")));
        Add("ShutdownVm", "Id", m => ShutdownVm(m.String("id")));
        Add("UpgradeApp", upgradeInput, m => p.HasUpdateVm ? UpdateVm(UpdateVmRequest.Read(m, p)) : UpgradeApp(UpdateVmRequest.Read(m, p)));
        Add("ResizeVm", "ResizeVmRequest", m => ResizeVm(ResizeVmRequest.Read(m)));
        Add("Status", "StatusRequest", m => Status(StatusRequest.Read(m)));
        Add("ListImages", "Empty", _ => ListImages());
        Add("GetAppEnvEncryptPubKey", "AppId", m => GetAppEnvEncryptPubKey(m.Bytes("app_id")));
        Add("GetInfo", "Id", m => GetInfo(m.String("id")));
        Add("GetMeta", "Empty", _ => GetMeta());
        Add("ListGpus", "Empty", _ => new ListGpusResponse([], _options.GpuAllowAttachAll));
        if (p.HasGetComposeHash)
        {
            Add("GetComposeHash", "VmConfiguration", m => GetComposeHash(VmConfigurationRequest.Read(m, p)));
        }

        if (p.HasUpdateVm)
        {
            Add("UpdateVm", "UpdateVmRequest", m => UpdateVm(UpdateVmRequest.Read(m, p)));
        }

        if (p.HasReloadVms)
        {
            Add("ReloadVms", "Empty", _ => ReloadVms());
        }
    }

    private void Add(string name, string inputType, Func<MessageReader, object?> handler) =>
        _methods[name] = new PrpcMethod(inputType, handler);

    public string TrimPrefix => "Teepod.";

    public bool TryGetMethod(string name, out PrpcMethod method) => _methods.TryGetValue(name, out method!);

    private IdMessage CreateVm(VmConfigurationRequest request)
    {
        ValidateLabel(request.Name);
        if (request.Ports.Count > 0 && !_options.PortMappingEnabled)
        {
            throw new PrpcException("Port mapping is disabled");
        }

        var ports = request.Ports.Select(ResolveCreatePort).ToList();
        if (_profile.ChecksPortConflicts)
        {
            ValidateUniquePorts(ports);
        }

        var appId = request.AppId is { } given
            ? (given.StartsWith("0x", StringComparison.Ordinal) ? given[2..] : given).ToLowerInvariant()
            : SimulatorState.AppIdOf(request.ComposeFile);
        var gpus = _profile.GpusAsArray
            ? new GpuSelection("listed", request.LegacyGpus.Select(g => g.Slot).ToList()) { ProductIds = request.LegacyGpus.Select(g => g.ProductId).ToList() }
            : request.Gpus is { } g ? ResolveGpus(g) : GpuSelection.None;
        if (_profile.ChecksComposeExtensions)
        {
            AppCompose.CheckVerityVolumes(request.ComposeFile);
            CheckSimulatedTee(request.SimulatedTee);
            AppCompose.CheckKeyProvider(request.ComposeFile);
        }

        var networks = NetworksFromConfig(request);

        lock (_state.Sync)
        {
            if (_profile.ChecksPortConflicts)
            {
                ValidatePortConflicts(null, ports);
            }

            var image = LoadImage(request.Image, "Failed to load VM");
            AppComposeInfo compose;
            try
            {
                compose = AppCompose.Parse(request.ComposeFile);
            }
            catch (PrpcException e)
            {
                throw e.WithContext("Failed to read compose file").WithContext("Failed to load VM");
            }

            var cid = _state.AllocateCid() ?? throw new PrpcException("Failed to load VM", "CID pool exhausted");
            var vm = new VmRecord
            {
                Id = _state.NewVmId(),
                Name = request.Name,
                AppId = appId,
                Image = request.Image,
                Vcpu = request.Vcpu,
                Memory = request.Memory,
                DiskSize = request.DiskSize,
                Ports = ports,
                CreatedAtMs = _state.Now.ToUnixTimeMilliseconds(),
                Hugepages = request.Hugepages,
                PinNuma = request.PinNuma,
                Gpus = gpus,
                KmsUrls = [.. request.KmsUrls],
                GatewayUrls = [.. request.GatewayUrls],
                NoTee = request.NoTee,
                SimulatedTee = request.SimulatedTee,
                Networks = networks,
                ComposeFile = request.ComposeFile,
                EncryptedEnv = request.EncryptedEnv,
                UserConfig = request.UserConfig,
                Started = !request.Stopped,
                Cid = cid,
                GatewayEnabled = compose.GatewayEnabled,
                ImageVersion = image.Version,
            };
            _state.Add(vm);
            if (!request.Stopped)
            {
                Start(vm, image);
            }

            return new IdMessage(vm.Id);
        }
    }

    private object? StartVm(string id)
    {
        lock (_state.Sync)
        {
            var exists = _state.TryGetVm(id, out var vm);
            if (exists && vm.Removing)
            {
                throw new PrpcException("Failed to start VM", "VM is being removed");
            }

            if (_profile.ValidatesVmIds)
            {
                Wrap("Failed to start VM", () => ValidateVmId(id));
            }

            if (!exists)
            {
                // sync_dynamic_config → VmWorkDir::manifest (both "Failed to read manifest" on releases).
                throw new PrpcException("Failed to start VM", "Failed to read manifest", ManifestReadContext, MissingFile($"{id}/vm-manifest.json", "open"));
            }

            if (_profile.ChecksComposeExtensions)
            {
                // next's sync_dynamic_config re-reads the compose to build .sys-config.json.
                Wrap("Failed to start VM", () => Wrap("Failed to get app compose", () => AppCompose.Parse(vm.ComposeFile)));
            }

            Start(vm, _state.FindImage(vm.Image));
            return null;
        }
    }

    private object? StopVm(string id)
    {
        lock (_state.Sync)
        {
            if (_profile.ValidatesVmIds)
            {
                Wrap("Failed to stop VM", () => ValidateVmId(id));
            }

            if (!_state.TryGetVm(id, out var vm))
            {
                throw new PrpcException("Failed to stop VM", "Failed to set started", StateWriteContext, MissingFile($"{id}/vm-state.json", "create"));
            }

            vm.Started = false;
            _state.StopProcess(vm);
            return null;
        }
    }

    private object? RemoveVm(string id)
    {
        lock (_state.Sync)
        {
            return _profile.AsyncRemove ? RemoveInBackground(id) : RemoveNow(id);
        }
    }

    /// <summary>0.5.7+: mark "removing", return, and let the background cleanup stop and forget the VM.</summary>
    private object? RemoveInBackground(string id)
    {
        if (!_state.TryGetVm(id, out var vm))
        {
            throw new PrpcException("Failed to remove VM", "VM not found");
        }

        if (vm.Removing)
        {
            return null;
        }

        vm.Removing = true;
        _state.After(_options.RemoveDelay, () =>
        {
            _state.StopProcess(vm);
            _state.FreeAndForget(vm);
        });
        return null;
    }

    /// <summary>
    /// ≤0.5.6: a VM whose process still runs (running or stopping) is refused; otherwise it is forgotten and its
    /// directory deleted before the call returns, and a directory that is not there fails remove_dir_all.
    /// </summary>
    private object? RemoveNow(string id)
    {
        var exists = _state.TryGetVm(id, out var vm);
        if (_profile.RemoveRefusesRunning && exists && vm.Running)
        {
            throw new PrpcException("Failed to remove VM", "VM is running, stop it first");
        }

        if (!exists)
        {
            throw new PrpcException(
                "Failed to remove VM",
                "Failed to remove VM directory",
                $"failed to remove directory `{_options.RunPath.TrimEnd('/')}/{id}`: {PrpcException.NoSuchFile}");
        }

        _state.FreeAndForget(vm);
        return null;
    }

    private object? ShutdownVm(string id)
    {
        lock (_state.Sync)
        {
            if (!_state.TryGetVm(id, out var vm))
            {
                throw new PrpcException("vm not found");
            }

            if (!vm.Running)
            {
                // The VMM calls the guest agent over vsock; with no guest running nobody answers.
                throw new PrpcException(
                    $"Failed to send request to vsock://{vm.Cid}:8000/api/Shutdown: Connection reset by peer (os error 104)");
            }

            _state.ApplyGuestEvent(vm, "shutdown.progress", "stopping app");
            _state.ApplyGuestEvent(vm, "shutdown.progress", "powering off");
            var generation = vm.ProcessGeneration;
            _state.After(_options.ShutdownDelay, () =>
            {
                if (vm.ProcessGeneration == generation)
                {
                    _state.StopProcess(vm);
                }
            });
            return null;
        }
    }

    private void Start(VmRecord vm, SimImage? image)
    {
        vm.Started = true;
        if (image is null || image.SharedRo)
        {
            vm.BootProgress = vm.Running ? "running" : "booting";
            vm.BootError = "";
            vm.ShutdownProgress = "";
        }
        else
        {
            // Images without shared_ro cannot report progress.
            vm.BootProgress = "N/A";
            vm.ShutdownProgress = "N/A";
            vm.BootError = "";
        }

        if (!vm.Running)
        {
            _state.StartProcess(vm);
        }
    }
}
