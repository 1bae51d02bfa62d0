using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Start, stop, shutdown, restart and delete of a recorded CVM: the vmm call, then what the vmm reports afterwards
/// written to the row, so the answer (and the next list) shows the new status before the pinger's next round.
/// </summary>
public sealed class CvmPower(CvmStore queries, DstackClientFactory clients, CvmRestarter restarter, ILogger<CvmPower> logger)
{
    public Task<(CvmRow Row, VmInfo? Vm)> StartAsync(CvmRow row, CancellationToken ct) =>
        RunAsync(row, "start", (vmm, id) => vmm.StartVmAsync(id, ct), ct);

    public Task<(CvmRow Row, VmInfo? Vm)> StopAsync(CvmRow row, CancellationToken ct) =>
        RunAsync(row, "stop", (vmm, id) => vmm.StopVmAsync(id, ct), ct);

    /// <summary>Graceful: the guest powers off on its own; the answer shows <c>stopping</c> (or still <c>running</c>).</summary>
    public Task<(CvmRow Row, VmInfo? Vm)> ShutdownAsync(CvmRow row, CancellationToken ct) =>
        RunAsync(row, "shut down", (vmm, id) => vmm.ShutdownVmAsync(id, ct), ct);

    /// <summary>
    /// force: StopVm + StartVm, done when the answer comes. Otherwise a VM that is not running is simply started, and a
    /// running one is asked to shut down; <see cref="CvmRestarter"/> starts it once it is down. A guest agent that does
    /// not take the shutdown (still booting, or hung) gets the forced restart instead: the caller asked for a restart.
    /// </summary>
    public async Task<(CvmRow Row, VmInfo? Vm)> RestartAsync(CvmRow row, bool force, CancellationToken ct)
    {
        ThrowIfRemoving(row);
        if (!force && row.ProgressOperation == CvmRestarter.Operation) return (row, null); // already under way
        var vmm = clients.VmmOf(row);
        if (!force)
        {
            var live = await vmm.GetInfoAsync(row.VmUuid, ct);
            if (live is null) throw await GoneAsync(row);
            if (live.Status is "running" or "stopping")
            {
                await queries.EndProgressAsync(row.Id);
                await queries.BeginProgressAsync(row.Id, CvmRestarter.Operation, "running", Guid.NewGuid().ToString("n"));
                try
                {
                    if (live.Status == "running") await vmm.ShutdownVmAsync(row.VmUuid, ct);
                    restarter.Wake();
                    return await ObserveAsync(row, vmm, ct);
                }
                catch (DstackException e) when (e.Failure == DstackFailure.RemoteError)
                {
                    await queries.EndProgressAsync(row.Id);
                    logger.LogInformation("CVM {Id}: the guest did not take the shutdown ({Detail}); restarting it hard",
                        row.Id, e.RemoteMessage);
                    force = true;
                }
                catch
                {
                    await queries.EndProgressAsync(row.Id);
                    throw;
                }
            }
        }
        return await RunAsync(row, "restart", async (client, id) =>
        {
            if (force) await client.StopVmAsync(id, ct);
            await client.StartVmAsync(id, ct);
        }, ct);
    }

    /// <summary>
    /// Removes the VM (stopping it first where the release requires). The row shows <c>removing</c> until the reconciler
    /// confirms the VM is gone; a release that removes synchronously, or a VM the vmm no longer knows, ends it at once.
    /// </summary>
    public async Task DeleteAsync(CvmRow row, CancellationToken ct)
    {
        await queries.EndProgressAsync(row.Id);
        var outcome = await clients.VmmOf(row).RemoveAsync(row.VmUuid, ct);
        if (outcome == VmRemoval.Started)
        {
            await queries.SetStatusAsync(row.Id, "removing");
            logger.LogInformation("CVM {Id} ({Name}) removal started on teepod {Teepod}", row.Id, row.Name, row.TeepodId);
            return;
        }
        // Removed now, or already (outside Teehouse Lite, or a removal that finished): the CVM is gone, as asked.
        await queries.MarkGoneAsync(row.Id);
        logger.LogInformation("CVM {Id} ({Name}) {What} on teepod {Teepod}", row.Id, row.Name,
            outcome == VmRemoval.Done ? "removed" : "was already gone", row.TeepodId);
    }

    private async Task<(CvmRow Row, VmInfo? Vm)> RunAsync(
        CvmRow row, string what, Func<VmmClient, string, Task> operation, CancellationToken ct)
    {
        ThrowIfRemoving(row);
        // Any explicit power request replaces a graceful restart still waiting for its guest.
        await queries.EndProgressAsync(row.Id);
        var vmm = clients.VmmOf(row);
        try
        {
            await operation(vmm, row.VmUuid);
        }
        catch (DstackException e) when (e.Failure == DstackFailure.RemoteError)
        {
            // The vmm refused: if it no longer has the VM at all, say so (404) instead of relaying its file error.
            if (await TryGetInfoAsync(vmm, row, ct) is (true, null)) throw await GoneAsync(row);
            throw;
        }
        logger.LogInformation("CVM {Id} ({Name}): {What} requested", row.Id, row.Name, what);
        return await ObserveAsync(row, vmm, ct);
    }

    /// <summary>The row and VM after an operation; the VM is null when the vmm could not be asked again.</summary>
    private async Task<(CvmRow Row, VmInfo? Vm)> ObserveAsync(CvmRow row, VmmClient vmm, CancellationToken ct)
    {
        var (asked, vm) = await TryGetInfoAsync(vmm, row, ct);
        if (asked && vm is not null) await queries.ObserveAsync(row.Id, vm);
        return (await queries.ByIdAsync(row.Id) ?? row, vm);
    }

    private async Task<(bool Asked, VmInfo? Vm)> TryGetInfoAsync(VmmClient vmm, CvmRow row, CancellationToken ct)
    {
        try
        {
            return (true, await vmm.GetInfoAsync(row.VmUuid, ct));
        }
        catch (DstackException e)
        {
            logger.LogDebug("GetInfo of CVM {Id} after an operation failed: {Detail}", row.Id, e.FullDetail);
            return (false, null);
        }
    }

    /// <summary>Records that the VM no longer exists and returns the 404 to throw.</summary>
    public async Task<ApiException> GoneAsync(CvmRow row)
    {
        await queries.MarkGoneAsync(row.Id);
        logger.LogInformation("CVM {Id} ({Name}): its VM {Uuid} no longer exists on teepod {Teepod}", row.Id, row.Name, row.VmUuid, row.TeepodId);
        return ApiException.NotFound($"CVM {row.HashedId} no longer exists on its node");
    }

    private static void ThrowIfRemoving(CvmRow row)
    {
        if (row.Status == "removing") throw ApiException.Conflict($"CVM {row.HashedId} is being deleted");
    }
}
