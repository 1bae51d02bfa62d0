using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Apps;

/// <summary>
/// <c>POST /cvms/{id}/replicas</c> (the SDK's <c>replicateCvm</c>, <c>phala cvms replicate</c>): a new instance of the
/// CVM's app running the compose that CVM runs, on <c>node_id</c> or wherever placement puts it; the path of
/// <c>POST /apps/{app_id}/instances</c>, answered with the new VM (VMSchema). Another user's CVM is 404.
/// </summary>
public sealed partial class AppsModule
{
    private static async Task<IResult> Replicate(
        string cvmId, ReplicateCvmRequest? body, HttpRequest http, CurrentUser current, CvmStore cvms,
        TeepodStore teepods, Quota quota, PendingStore pending, CvmOperations operations, DstackClientFactory clients,
        KmsCatalog kmsCatalog, ILogger<AppsModule> logger, CancellationToken ct)
    {
        var row = await CvmsModule.ResolveAsync(cvmId, current, cvms);
        var hash = row.ComposeHash is { Length: 64 } h && Hex().IsMatch(h) ? h : null;
        var request = new CreateAppInstanceRequest(body?.NodeId, body?.TeepodId, null, hash, null, null, null, null);
        return await CreateInstance(row.AppId, request, http, current, cvms, teepods, quota, pending, operations, clients,
            kmsCatalog, logger, ct);
    }
}

/// <summary>The SDK sends <c>{"node_id": n}</c>, or <c>{}</c> to let placement choose.</summary>
public sealed record ReplicateCvmRequest(long? NodeId, long? TeepodId);
