using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// <c>PATCH /cvms/{id}/visibility</c> (the SDK's <c>updateCvmVisibility</c>): <c>{public_sysinfo, public_logs,
/// public_tcbinfo?}</c> (the first two required booleans) as those compose fields of <c>PATCH /cvms/{id}</c> (a running
/// CVM restarts with them), answered with the CVM's detail in the 2025-10-28 shape the SDK parses.
/// </summary>
public sealed partial class CvmUpgradesModule
{
    private static async Task<IResult> Visibility(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var body = request.ContentLength == 0 ? [] : await ReadObjectAsync(request, ct);
        var v = new Validator();
        var fields = new JsonObject();
        foreach (var (key, required) in ((string, bool)[])[("public_sysinfo", true), ("public_logs", true), ("public_tcbinfo", false)])
        {
            var node = body[key];
            if (node is null)
            {
                v.Require(!required, key, "Field required", "missing");
                continue;
            }
            var ok = node.GetValueKind() is JsonValueKind.True or JsonValueKind.False;
            v.Require(ok, key, "Input should be a valid boolean", "bool_type");
            if (ok) fields[key] = node.GetValueKind() == JsonValueKind.True;
        }
        v.ThrowIfInvalid();
        await ApplyAsync(cvmId, fields, prepareOnly: false, request, user, queries, power, clients, pending, operations, kmsCatalog, logger, ct);

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        VmInfo? live = null;
        try
        {
            live = await clients.VmmOf(row).GetInfoAsync(row.VmUuid, ct);
        }
        catch (DstackException e)
        {
            logger.LogDebug("CVM {Id}: teepod {Teepod} did not answer GetInfo: {Detail}", row.Id, row.TeepodId, e.FullDetail);
        }
        return TypedResults.Json(CvmMapper.ToDetailV20251028(row, live, await kmsCatalog.ListAsync()),
            CvmsJson.Default.CvmDetailV20251028);
    }
}
