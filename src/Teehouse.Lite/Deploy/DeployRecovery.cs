using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Deploy;

/// <summary>Finds the VM an interrupted commit already created, so a retry adopts it instead of creating a twin.</summary>
public static class DeployRecovery
{
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
