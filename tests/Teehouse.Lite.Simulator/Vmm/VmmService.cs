using Teehouse.Lite.Simulator.Kms;
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
    private readonly KmsService _kms;
    private readonly Dictionary<string, PrpcMethod> _methods;

    public VmmService(SimulatorState state, KmsService kms)
    {
        _state = state;
        _options = state.Options;
        _kms = kms;
        _methods = new Dictionary<string, PrpcMethod>(StringComparer.Ordinal)
        {
            ["CreateVm"] = new("VmConfiguration", m => CreateVm(VmConfigurationRequest.Read(m))),
            ["StartVm"] = new("Id", m => StartVm(m.String("id"))),
            ["StopVm"] = new("Id", m => StopVm(m.String("id"))),
            ["RemoveVm"] = new("Id", m => RemoveVm(m.String("id"))),
            ["ShutdownVm"] = new("Id", m => ShutdownVm(m.String("id"))),
            ["UpgradeApp"] = new("UpdateVmRequest", m => UpdateVm(UpdateVmRequest.Read(m))),
            ["UpdateVm"] = new("UpdateVmRequest", m => UpdateVm(UpdateVmRequest.Read(m))),
            ["ResizeVm"] = new("ResizeVmRequest", m => ResizeVm(ResizeVmRequest.Read(m))),
            ["GetComposeHash"] = new("VmConfiguration", m => GetComposeHash(VmConfigurationRequest.Read(m))),
            ["Status"] = new("StatusRequest", m => Status(StatusRequest.Read(m))),
            ["ListImages"] = new("Empty", _ => ListImages()),
            ["GetAppEnvEncryptPubKey"] = new("AppId", m => GetAppEnvEncryptPubKey(m.Bytes("app_id"))),
            ["GetInfo"] = new("Id", m => GetInfo(m.String("id"))),
            ["Version"] = new("Empty", _ => new VersionResponse(_options.Version, _options.Rev)),
            ["GetMeta"] = new("Empty", _ => GetMeta()),
            ["ListGpus"] = new("Empty", _ => new ListGpusResponse([], _options.GpuAllowAttachAll)),
            ["ReloadVms"] = new("Empty", _ => ReloadVms()),
        };
    }

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
        ValidateUniquePorts(ports);
        var appId = request.AppId is { } given
            ? (given.StartsWith("0x", StringComparison.Ordinal) ? given[2..] : given).ToLowerInvariant()
            : SimulatorState.AppIdOf(request.ComposeFile);
        var gpus = request.Gpus is { } g ? ResolveGpus(g) : GpuSelection.None;
        AppCompose.CheckVerityVolumes(request.ComposeFile);
        CheckSimulatedTee(request.SimulatedTee);
        AppCompose.CheckKeyProvider(request.ComposeFile);
        var networks = NetworksFromConfig(request);

        lock (_state.Sync)
        {
            ValidatePortConflicts(null, ports);
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

            var cid = _state.AllocateCid() ?? throw new PrpcException("Failed to load VM: CID pool exhausted");
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
                throw new PrpcException("Failed to start VM: VM is being removed");
            }

            Wrap("Failed to start VM", () => ValidateVmId(id));
            if (!exists)
            {
                throw new PrpcException(
                    $"Failed to start VM: Failed to read manifest: failed to read manifest: {MissingFile($"{id}/vm-manifest.json", "open")}");
            }

            // sync_dynamic_config re-reads the compose to build .sys-config.json.
            Wrap("Failed to start VM", () => Wrap("Failed to get app compose", () => AppCompose.Parse(vm.ComposeFile)));
            Start(vm, _state.FindImage(vm.Image));
            return null;
        }
    }

    private object? StopVm(string id)
    {
        lock (_state.Sync)
        {
            Wrap("Failed to stop VM", () => ValidateVmId(id));
            if (!_state.TryGetVm(id, out var vm))
            {
                throw new PrpcException(
                    $"Failed to stop VM: Failed to set started: failed to write state: {MissingFile($"{id}/vm-state.json", "create")}");
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
            if (!_state.TryGetVm(id, out var vm))
            {
                throw new PrpcException("Failed to remove VM: VM not found");
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
