using System.Text.Json;
using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>The CVM half of seeds/000: every VM a teepod hosts (managed or not), and adopting one.</summary>
public sealed class TeepodCvmsModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/teepods/{teepodId}/cvms").RequireAuthorization(Policies.Admin);
        group.MapGet("/", ListHosted).Produces<HostedCvmResponse>();
        group.MapPost("/{appId}/list", Adopt).Produces(StatusCodes.Status204NoContent);
    }

    /// <summary>
    /// Streams the array while paging through the vmm's Status, so a host with thousands of VMs costs a page or two of
    /// memory. The pages are read ahead (<see cref="ReadAhead{T}"/>): the first is asked for before the database is
    /// read, each next one while this one is written. The first page is in before anything is written: an unreachable
    /// teepod is still a clean 502/504.
    /// </summary>
    private static async Task ListHosted(
        long teepodId, HttpContext http, TeepodStore teepods, CvmStore cvms, DstackClientFactory clients,
        KmsCatalog kmsCatalog, LogCapabilities caps, ILogger<TeepodCvmsModule> logger, CancellationToken ct)
    {
        var teepod = await teepods.FindAsync(teepodId) ?? throw ApiException.NotFound($"Teepod {teepodId} not found");
        await using var pages = ReadAhead<VmInfo>.Start(
            clients.VmmFor(teepod).ListAllVmsAsync(CvmImporter.PageSize, brief: false, ct), CvmImporter.PageSize, ct);
        var records = await cvms.HostedRecordsAsync(teepod.Id);
        var kmsList = await kmsCatalog.ListAsync();
        var logs = await caps.LinksAsync(http.Request);

        await using var vms = pages.ReadAllAsync(ct).GetAsyncEnumerator(ct);
        var any = await vms.MoveNextAsync();

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json; charset=utf-8";
        // Writing into the response pipe (not the stream) keeps serialization free of synchronous I/O.
        var body = http.Response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body);
        writer.WriteStartArray();
        var written = 0;
        try
        {
            while (any)
            {
                var vm = vms.Current;
                JsonSerializer.Serialize(writer, HostedCvmMapper.Map(vm, records.GetValueOrDefault(vm.Id), teepod, kmsList, logs),
                    CvmsJson.Default.HostedCvmResponse);
                if (++written % 100 == 0)
                {
                    writer.Flush();
                    await body.FlushAsync(ct);
                }
                any = await vms.MoveNextAsync();
            }
        }
        catch (DstackException e)
        {
            // The 200 and part of the array are already out: cut the connection so the client sees a broken
            // response rather than a short list it could mistake for the whole host.
            logger.LogWarning("Listing the VMs of teepod {Id} failed after {Count}: {Detail}", teepod.Id, written, e.FullDetail);
            http.Abort();
            return;
        }
        writer.WriteEndArray();
        writer.Flush();
        await body.FlushAsync(ct);
    }

    private static async Task<IResult> Adopt(
        long teepodId, string appId, TeepodStore teepods, CvmImporter importer, CancellationToken ct)
    {
        var teepod = await teepods.FindAsync(teepodId) ?? throw ApiException.NotFound($"Teepod {teepodId} not found");
        if (!AppIds.TryNormalize(appId, out var normalized))
            throw ValidationException.For("path", "app_id", "app_id must be 40 hex characters (20 bytes), optionally 0x-prefixed");
        if (!await importer.AdoptAsync(teepod, normalized, ct))
            throw ApiException.NotFound($"Teepod {teepodId} hosts no VM with app_id {normalized}");
        return TypedResults.NoContent();
    }
}
