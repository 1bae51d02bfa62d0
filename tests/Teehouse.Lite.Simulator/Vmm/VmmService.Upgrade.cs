using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>
/// UpgradeApp as 0.4.x–0.5.5 have it (v0.5.5 main_service.rs:283-337, v0.4.2 :196-251): compose, env and user
/// config are written to the VM's shared/ directory at once (a running guest reads them on its next boot), then
/// ports and GPUs go into the manifest and the VM is reloaded. No resources: those need ResizeVm.
/// </summary>
internal sealed partial class VmmService
{
    private IdMessage UpgradeApp(UpdateVmRequest request)
    {
        lock (_state.Sync)
        {
            var id = request.Id;
            var exists = _state.TryGetVm(id, out var vm);
            var newAppId = "";
            if (request.ComposeFile.Length > 0)
            {
                Wrap("Invalid compose file", () => AppCompose.Parse(request.ComposeFile));
                if (!exists)
                {
                    throw new PrpcException($"The instance {id} not found");
                }

                vm.ComposeFile = request.ComposeFile;
                newAppId = SimulatorState.AppIdOf(request.ComposeFile);
            }

            WriteSharedFiles(vm, id, exists, request);
            if (_profile.UpgradeAppReloadsOnlyForPorts && !request.UpdatePorts)
            {
                return new IdMessage(newAppId);
            }

            if (!exists)
            {
                throw new PrpcException("Failed to read manifest", ManifestReadContext, MissingFile($"{id}/vm-manifest.json", "open"));
            }

            var manifest = ManifestDraft.From(vm);
            if (request.Gpus is { } gpus)
            {
                manifest.Gpus = ResolveGpus(gpus);
            }

            if (request.UpdatePorts)
            {
                manifest.Ports = request.Ports.Select(ResolveUpdatePort).ToList();
            }

            Reload(vm, manifest);
            return new IdMessage(newAppId);
        }
    }

    /// <summary>fs::write of shared/.encrypted-env and shared/.user-config, skipped when the request leaves them empty.</summary>
    private void WriteSharedFiles(VmRecord? vm, string id, bool exists, UpdateVmRequest request)
    {
        if (request.EncryptedEnv.Length > 0)
        {
            CheckVmId(id);
            if (!exists)
            {
                throw new PrpcException("Failed to write encrypted env", MissingFile($"{id}/shared/.encrypted-env", "create"));
            }

            vm!.EncryptedEnv = request.EncryptedEnv;
        }

        if (request.UserConfig.Length > 0)
        {
            CheckVmId(id);
            if (!exists)
            {
                throw new PrpcException("Failed to write user config", MissingFile($"{id}/shared/.user-config", "create"));
            }

            vm!.UserConfig = request.UserConfig;
        }
    }
}
