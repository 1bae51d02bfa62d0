using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Deploy;

/// <summary>Finds the VM an interrupted commit already created, so a retry adopts it instead of creating a twin.</summary>
public static class DeployRecovery
{
    /// <summary>
    /// Run on every ping: records the CVM of each commit that created its VM but died before writing it down, so the
    /// deploy is neither lost nor repeated. A commit whose VM never appeared is left for the client to retry.
    /// </summary>
    public static async Task<int> RepairAsync(ProvisionStore provisions, VmmClient vmm, long teepodId, CancellationToken ct)
    {
        var repaired = 0;
        foreach (var provision in await provisions.InterruptedAsync(teepodId))
        {
            if (await FindCreatedVmAsync(vmm, provision, ct) is not { } vmId) continue;
            await provisions.CompleteAsync(provision, vmId, await vmm.GetInfoAsync(vmId, ct), Infrastructure.Database.Clock.NowText());
            repaired++;
        }
        return repaired;
    }

    public static async Task<string?> FindCreatedVmAsync(VmmClient vmm, ProvisionRecord provision, CancellationToken ct)
    {
        var listing = await vmm.StatusAsync(new VmmStatusRequest { Keyword = provision.AppId }, ct);
        return listing.Vms
            .Where(vm => vm.AppId == provision.AppId && vm.Name == provision.Name && vm.Status != "removing")
            .Where(vm => vm.Configuration is { } c && AppComposeParser.ComposeHash(c.ComposeFile) == provision.ComposeHash)
            .Select(vm => vm.Id)
            .FirstOrDefault();
    }
}
