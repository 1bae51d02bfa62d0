namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>How a removal ended, as far as the vmm said.</summary>
public enum VmRemoval
{
    /// <summary>0.5.7+: the vmm removes it in the background; it shows as <c>removing</c> until it is gone.</summary>
    Started,

    /// <summary>Up to 0.5.6: RemoveVm answers once the VM and its directory are gone.</summary>
    Done,

    /// <summary>The vmm does not know the VM (removed already, outside Teehouse Lite or by an earlier attempt).</summary>
    NotFound,
}

// The operations whose RPCs differ between dstack releases. Each picks the call the recorded version has and falls
// back when the vmm shows it is older than recorded (it was downgraded, or the version was never recorded).
public sealed partial class VmmClient
{
    /// <summary>
    /// Applies an update on any supported release. Resources go first and on their own (vmm-cli's order): UpdateVm
    /// writes the compose before it checks that the VM is stopped, so one call that changes both could leave a new
    /// compose on disk behind a refused resize. Up to 0.5.5 the two halves are ResizeVm and UpgradeApp.
    /// </summary>
    public async Task ApplyUpdateAsync(UpdateVmRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var resources = request.Vcpu is not null || request.Memory is not null || request.DiskSize is not null || request.Image is not null;
        var app = !string.IsNullOrEmpty(request.ComposeFile) || !string.IsNullOrEmpty(request.EncryptedEnv)
                  || !string.IsNullOrEmpty(request.UserConfig) || request.UpdatePorts || request.Gpus is not null;
        var onlyUpdateVm = request.UpdateKmsUrls || request.UpdateGatewayUrls || request.UpdateNetworking || request.NoTee is not null;

        if (Features.HasUpdateVm)
        {
            try
            {
                if (resources && (app || onlyUpdateVm))
                {
                    await UpdateVmAsync(ResourcesOnly(request), ct).ConfigureAwait(false);
                    await UpdateVmAsync(request with { Vcpu = null, Memory = null, DiskSize = null, Image = null }, ct).ConfigureAwait(false);
                }
                else
                {
                    await UpdateVmAsync(request, ct).ConfigureAwait(false);
                }
                return;
            }
            catch (DstackException e) when (IsUnknownMethod(e, "UpdateVm"))
            {
                // Older than recorded: the two calls below work on every release.
            }
        }

        if (onlyUpdateVm)
        {
            throw new DstackException(
                DstackFailure.RemoteError,
                $"{_transport.Peer.Label} (dstack-vmm {Features.Version}) has no UpdateVm; kms_urls, gateway_urls, networking and no_tee cannot be changed",
                $"{_transport.Peer.PublicLabel} runs a dstack-vmm that cannot change kms_urls, gateway_urls, networking or no_tee",
                "UpdateVm");
        }

        if (resources)
        {
            await _transport.CallEmptyAsync("ResizeVm", new ResizeVmRequest
            {
                Id = request.Id, Vcpu = request.Vcpu, Memory = request.Memory, DiskSize = request.DiskSize, Image = request.Image,
            }, Json.ResizeVmRequest, ct).ConfigureAwait(false);
        }

        if (app)
        {
            await _transport.CallAsync("UpgradeApp", new UpgradeAppRequest
            {
                Id = request.Id,
                ComposeFile = request.ComposeFile ?? "",
                EncryptedEnv = request.EncryptedEnv ?? "",
                UserConfig = request.UserConfig ?? "",
                UpdatePorts = request.UpdatePorts,
                Ports = request.Ports ?? [],
                Gpus = request.Gpus,
            }, Json.UpgradeAppRequest, Json.IdMessage, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes a VM on any supported release: up to 0.5.6 RemoveVm refuses a running VM, so it is stopped first (hard,
    /// as vmm-cli's <c>remove</c> does); a VM the vmm no longer knows is <see cref="VmRemoval.NotFound"/>, whatever
    /// words the release uses for that ("VM not found", or a failed <c>remove_dir_all</c> up to 0.5.6).
    /// </summary>
    public async Task<VmRemoval> RemoveAsync(string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Features.RemoveRefusesRunning)
        {
            var vm = await GetInfoAsync(id, ct).ConfigureAwait(false);
            if (vm is null) return VmRemoval.NotFound;
            if (vm.Status is not ("stopped" or "exited")) await StopVmAsync(id, ct).ConfigureAwait(false);
        }

        try
        {
            await RemoveVmAsync(id, ct).ConfigureAwait(false);
        }
        catch (DstackException e) when (e.Failure == DstackFailure.RemoteError)
        {
            if (e.RemoteMessage?.Contains("VM not found", StringComparison.OrdinalIgnoreCase) == true) return VmRemoval.NotFound;
            if (e.RemoteMessage?.Contains("stop it first", StringComparison.OrdinalIgnoreCase) == true)
            {
                // Older than recorded, or restarted (auto_restart) between our look and the call.
                await StopVmAsync(id, ct).ConfigureAwait(false);
                await RemoveVmAsync(id, ct).ConfigureAwait(false);
                return VmRemoval.Done;
            }
            if (await GetInfoAsync(id, ct).ConfigureAwait(false) is null) return VmRemoval.NotFound;
            throw;
        }
        return Features.RemovesInBackground ? VmRemoval.Started : VmRemoval.Done;
    }

    /// <summary>
    /// The version of a 0.3.x host, which names its methods <c>Teepod.&lt;M&gt;</c> and answers the unprefixed
    /// <c>Version</c> with HTTP 404; null when this is not such a host. Used only to say clearly what is unsupported.
    /// </summary>
    public async Task<string?> LegacyTeepodVersionAsync(CancellationToken ct = default)
    {
        try
        {
            return (await _transport.CallAsync("Teepod.Version", EmptyMessage.Instance, Json.EmptyMessage, Json.VmmVersion, ct)
                .ConfigureAwait(false)).Version;
        }
        catch (DstackException)
        {
            return null;
        }
    }

    /// <summary>ra-rpc's answer to a method the release does not have ("Method not found: UpdateVm" and variants).</summary>
    internal static bool IsUnknownMethod(DstackException e, string method) =>
        e.Failure == DstackFailure.RemoteError
        && e.RemoteMessage is { } m
        && m.Contains("not found", StringComparison.OrdinalIgnoreCase)
        && (m.Contains("method", StringComparison.OrdinalIgnoreCase) || m.Contains(method, StringComparison.Ordinal))
        && !m.Contains("VM not found", StringComparison.OrdinalIgnoreCase);

    private static UpdateVmRequest ResourcesOnly(UpdateVmRequest r) => new()
    {
        Id = r.Id, Vcpu = r.Vcpu, Memory = r.Memory, DiskSize = r.DiskSize, Image = r.Image,
    };
}
