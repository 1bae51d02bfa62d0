using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>Imports (or reconciles) every VM a teepod hosts, a Status page at a time.</summary>
public sealed class CvmImporter(CvmStore store, DstackClientFactory clients)
{
    public const int PageSize = 500;

    public async Task<CvmSyncSummary> ImportAsync(
        TeepodRecord teepod, CvmSyncOptions options, IProgress<int>? progress, CancellationToken ct)
    {
        var vmm = clients.VmmFor(teepod);
        var session = await CvmSyncSession.BeginAsync(store, teepod.Id, options);
        var batch = new List<VmInfo>(PageSize);
        await foreach (var vm in vmm.ListAllVmsAsync(PageSize, brief: false, ct))
        {
            batch.Add(vm);
            if (batch.Count < PageSize) continue;
            await session.ApplyAsync(batch);
            batch.Clear();
            progress?.Report(session.Seen);
        }
        if (batch.Count > 0) await session.ApplyAsync(batch);
        progress?.Report(session.Seen);
        return await session.FinishAsync(vmm, ct);
    }

    /// <summary>Records (if missing) and lists every VM of the app on the teepod; false when the teepod hosts none.</summary>
    public async Task<bool> AdoptAsync(TeepodRecord teepod, string appId, CancellationToken ct)
    {
        var vmm = clients.VmmFor(teepod);
        var matches = new List<VmInfo>();
        var page = 1;
        while (true)
        {
            // keyword narrows the listing on the vmm (substring of name, id, app_id or image); we keep exact matches.
            var response = await vmm.StatusAsync(new VmmStatusRequest { Keyword = appId, Page = page, PageSize = PageSize }, ct);
            matches.AddRange(response.Vms.Where(vm => vm.AppId == appId && vm.Status != "removing"));
            if (response.Vms.Count < PageSize || page * PageSize >= response.Total) break;
            page++;
        }
        if (matches.Count == 0) return false;
        var session = await CvmSyncSession.BeginAsync(store, teepod.Id, new CvmSyncOptions(InsertNew: true, MarkListed: true));
        await session.ApplyAsync(matches);
        return true;
    }
}
