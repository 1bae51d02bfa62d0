using System.Security.Cryptography;
using System.Text;
using Teehouse.Lite.Simulator.Profiles;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>UpdateVm (UpgradeApp from 0.5.6), ResizeVm and GetComposeHash.</summary>
internal sealed partial class VmmService
{
    private IdMessage UpdateVm(UpdateVmRequest request)
    {
        lock (_state.Sync)
        {
            var id = request.Id;
            var newAppId = "";
            var exists = _state.TryGetVm(id, out var vm);
            if (request.ComposeFile.Length > 0)
            {
                Wrap("Invalid compose file", () => AppCompose.Parse(request.ComposeFile));
                CheckVmId(id);
                if (!exists)
                {
                    throw new PrpcException($"The instance {id} not found");
                }

                vm.ComposeFile = request.ComposeFile;
                newAppId = SimulatorState.AppIdOf(request.ComposeFile);
            }

            WriteSharedFiles(vm, id, exists, request);
            CheckVmId(id);
            if (!exists)
            {
                throw new PrpcException("Failed to read manifest", ManifestReadContext, MissingFile($"{id}/vm-manifest.json", "open"));
            }

            var manifest = ManifestDraft.From(vm);
            ApplyResourceUpdates(vm, manifest, request.Vcpu, request.Memory, request.DiskSize, request.Image);
            if (request.Gpus is { } gpus)
            {
                manifest.Gpus = ResolveGpus(gpus);
            }

            if (request.NoTee is { } noTee)
            {
                manifest.NoTee = noTee;
            }

            if (request.UpdatePorts)
            {
                var ports = request.Ports.Select(ResolveUpdatePort).ToList();
                if (_profile.ChecksPortConflicts)
                {
                    ValidateUniquePorts(ports);
                    ValidatePortConflicts(id, ports);
                }

                manifest.Ports = ports;
            }

            if (request.UpdateKmsUrls)
            {
                manifest.KmsUrls = [.. request.KmsUrls];
            }

            if (request.UpdateGatewayUrls)
            {
                manifest.GatewayUrls = [.. request.GatewayUrls];
            }

            if (request.UpdateNetworking)
            {
                manifest.Networks = request.Networks.Select(RequiredNetwork).ToList();
                ValidateResolvedNetworks(manifest.Networks);
            }

            if (_profile.ChecksComposeExtensions)
            {
                // next's swtpm decision re-reads the stored compose's key provider.
                AppCompose.CheckKeyProvider(vm.ComposeFile);
            }

            Reload(vm, manifest);
            return new IdMessage(newAppId);
        }
    }

    private object? ResizeVm(ResizeVmRequest request)
    {
        if (_profile.ResizeValidatesRequest)
        {
            ValidateResizeRequest(request);
        }

        lock (_state.Sync)
        {
            var exists = _state.TryGetVm(request.Id, out var vm);
            if (_profile.ResizeChecksVmFirst)
            {
                // ≤0.5.5: vm_info(..).context("vm not found"), then the state check even for a no-op request.
                if (!exists)
                {
                    throw new PrpcException("vm not found");
                }

                EnsureStopped(vm);
            }

            CheckVmId(request.Id);
            if (!exists)
            {
                throw new PrpcException("failed to read manifest", ManifestReadContext, MissingFile($"{request.Id}/vm-manifest.json", "open"));
            }

            var manifest = ManifestDraft.From(vm);
            ApplyResourceUpdates(vm, manifest, request.Vcpu, request.Memory, request.DiskSize, request.Image);
            Reload(vm, manifest);
            return null;
        }
    }

    /// <summary>next's up-front checks of a ResizeVm request (no released version has them).</summary>
    private static void ValidateResizeRequest(ResizeVmRequest request)
    {
        if (request.Vcpu is null && request.Memory is null && request.DiskSize is null && request.Image is null)
        {
            throw new PrpcException("resize request contains no updates");
        }

        if (request.Vcpu == 0)
        {
            throw new PrpcException("vcpu must be greater than zero");
        }

        if (request.Memory == 0)
        {
            throw new PrpcException("memory must be greater than zero");
        }

        if (request.DiskSize == 0)
        {
            throw new PrpcException("disk_size must be greater than zero");
        }

        if (request.Image == "")
        {
            throw new PrpcException("image must not be empty");
        }
    }

    private static void EnsureStopped(VmRecord vm)
    {
        if (vm.Status is not (VmStatus.Stopped or VmStatus.Exited))
        {
            throw new PrpcException($"vm should be stopped before resize: {vm.Id}");
        }
    }

    /// <summary>Only next checks VM ids; releases join whatever they get onto run_path.</summary>
    private void CheckVmId(string id)
    {
        if (_profile.ValidatesVmIds)
        {
            ValidateVmId(id);
        }
    }

    private void ApplyResourceUpdates(VmRecord vm, ManifestDraft manifest, uint? vcpu, uint? memory, uint? diskSize, string? image)
    {
        if (vcpu is null && memory is null && diskSize is null && image is null)
        {
            return;
        }

        EnsureStopped(vm);

        if (vcpu is { } c)
        {
            manifest.Vcpu = c;
        }

        if (memory is { } m)
        {
            manifest.Memory = m;
        }

        if (image is not null)
        {
            manifest.Image = image;
        }

        if (diskSize is { } d)
        {
            if (_profile.HasMaxDiskSize && d > WireShape.MaxDiskSizeGb)
            {
                throw new PrpcException($"Disk size is too large, max is {WireShape.MaxDiskSizeGb}GB");
            }

            if (d < manifest.DiskSize)
            {
                throw new PrpcException("Cannot shrink disk size");
            }

            manifest.DiskSize = d;
        }
    }

    /// <summary>load_vm after a manifest rewrite: the image must load; changes apply on next start.</summary>
    private void Reload(VmRecord vm, ManifestDraft manifest)
    {
        var image = LoadImage(manifest.Image, "Failed to load VM");
        AppComposeInfo compose;
        try
        {
            compose = AppCompose.Parse(vm.ComposeFile);
        }
        catch (PrpcException e)
        {
            throw e.WithContext("Failed to read compose file").WithContext("Failed to load VM");
        }

        manifest.ApplyTo(vm);
        vm.GatewayEnabled = compose.GatewayEnabled;
        vm.ImageVersion = image.Version;
    }

    private ComposeHashMessage GetComposeHash(VmConfigurationRequest request)
    {
        ValidateLabel(request.Name);
        Wrap("Invalid compose file", () => AppCompose.Parse(request.ComposeFile));
        return new ComposeHashMessage(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.ComposeFile))));
    }
}
