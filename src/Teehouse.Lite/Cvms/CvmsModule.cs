using System.Globalization;
using System.Text.Json;
using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// The CVMs a user owns: list, inspect, power and delete them. Users see only their own CVMs (anyone else's is a 404,
/// not a 403, so ids do not leak); admins see every recorded CVM. Rows marked gone are never shown.
/// </summary>
public sealed class CvmsModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/cvms").RequireAuthorization();
        group.MapGet("/paginated", List).Produces<CvmPageV20260121>();
        group.MapMissing("PATCH", "/instance-ids");
        group.MapGet("/{cvmId}", Get).Produces<CvmInfoDetailV20260121>();
        group.MapDelete("/{cvmId}", Delete).Produces(StatusCodes.Status204NoContent);
        group.MapGet("/{cvmId}/state", State).Produces<CvmStateResponse>();
        group.MapGet("/{cvmId}/compose_file", ComposeFile).Produces<System.Text.Json.JsonElement>();
        group.MapPost("/{cvmId}/start", Start).Produces<CvmVmResponse>();
        group.MapPost("/{cvmId}/stop", Stop).Produces<CvmVmResponse>();
        group.MapPost("/{cvmId}/shutdown", Shutdown).Produces<CvmVmResponse>();
        group.MapPost("/{cvmId}/restart", Restart).Produces<CvmVmResponse>();
    }

    /// <summary>
    /// Rows only (the pinger keeps their status fresh): a page never waits on a vmm. A page asked again before the
    /// database changed is answered from the bytes serialised the first time (<see cref="AnswerCache"/>).
    /// </summary>
    private static async Task<IResult> List(
        HttpRequest request, string? page, [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "node_id")] string? nodeId, [FromQuery(Name = "teepod_id")] string? teepodId,
        [FromQuery(Name = "user_id")] string? userId,
        CurrentUser user, CvmStore queries, LogCapabilities caps, DbChanges changes, AnswerCache answers, TeepodReadModels teepods)
    {
        var v = new Validator("query");
        var pageNo = v.Int("page", page, 1, int.MaxValue, 1);
        var size = v.Int("page_size", pageSize, 1, MaxPageSize, DefaultPageSize);
        var node = ParseLong(v, "node_id", nodeId);
        var teepod = ParseLong(v, "teepod_id", teepodId);
        var owner = ParseLong(v, "user_id", userId);
        v.ThrowIfInvalid();
        var version = ApiVersion.Of(request);
        if (node is not null && teepod is not null && node != teepod)
            return new JsonBytes(Page(version, [], 0, pageNo, size, null)); // two different nodes: nothing is on both

        var scope = Scope(user);
        var logs = await caps.LinksAsync(request);
        var key = ListKey(scope, owner, teepod ?? node, pageNo, size, version, logs, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // The version before the query: bytes read after a commit are filed under the epoch before it, never after.
        var db = changes.Current();
        return new JsonBytes(await answers.GetOrBuildAsync(db.Epoch, key, async () =>
        {
            var (rows, total) = await queries.PageAsync(await teepods.CurrentAsync(), scope, owner, teepod ?? node, pageNo, size);
            return Page(version, rows, total, pageNo, size, logs);
        }));
    }

    /// <summary>What a page's bytes depend on besides the database.</summary>
    internal static AnswerKey ListKey(
        CvmScope scope, long? userId, long? teepodId, int page, int size, string version, SyslogLinks logs, long unixSecond) =>
        new("cvms", scope.OwnerId, string.Create(CultureInfo.InvariantCulture, $"{userId}|{teepodId}|{page}|{size}"),
            version, logs.BaseUrl, logs.ExpiresUnix,
            // The 2025 shape carries each VM's uptime, which runs on by the second.
            version == ApiVersion.V20251028 ? unixSecond : 0);

    private static byte[] Page(string version, List<CvmRow> rows, long total, int page, int size, SyslogLinks? logs)
    {
        var pages = (total + size - 1) / size;
        return version == ApiVersion.V20251028
            ? JsonSerializer.SerializeToUtf8Bytes(
                new CvmPageV20251028([.. rows.Select(r => CvmMapper.ToV20251028(r, logs))], total, page, size, pages),
                CvmsJson.Default.CvmPageV20251028)
            : JsonSerializer.SerializeToUtf8Bytes(
                new CvmPageV20260121([.. rows.Select(r => CvmMapper.ToV20260121(r, logs: logs))], total, page, size, pages),
                CvmsJson.Default.CvmPageV20260121);
    }

    /// <summary>
    /// The row plus the vmm's live view (app-compose, app URL, sizes) when the teepod answers; when it does not, the
    /// row alone (compose_file null). A vmm that no longer knows the VM makes the CVM gone: 404.
    /// </summary>
    private static async Task<IResult> Get(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        KmsCatalog kmsCatalog, LogCapabilities caps, Kms.EnvEncryptKeys envKeys, TeepodReadModels teepods, CvmDisks disks,
        ILogger<CvmsModule> logger, CancellationToken ct)
    {
        var row = await ResolveAsync(cvmId, user, queries);
        // Started beside the vmm call: qemu-img reads the disk header on this host while the vmm answers.
        var disk = user.IsAdmin
            ? disks.UsageAsync((await teepods.CurrentAsync()).Find(row.TeepodId)?.Record.RunPath, row.VmUuid, logger, ct)
            : Task.FromResult<CvmDiskUsage?>(null);
        VmInfo? live = null;
        if (row.TeepodStatus != TeepodStatus.Offline)
        {
            try
            {
                var vmm = clients.VmmOf(row);
                live = await vmm.GetInfoAsync(row.VmUuid, ct);
                if (live is null) throw await power.GoneAsync(row);
                await queries.ObserveAsync(row.Id, live);
                // An imported KMS app's key is learnt once, here, where one CVM is read: lists only ever read it back.
                if (row.EnvPubkey is null && AppComposeParser.Parse(live.Configuration?.ComposeFile)?.KmsEnabled == true)
                {
                    row.EnvPubkey = (await envKeys.FromVmmAsync(vmm, TeepodClients.Label(row.TeepodName), row.TeepodKmsUrl, row.AppId, ct)).PublicKey;
                    await queries.RememberEnvPubkeyAsync(row.AppId, row.EnvPubkey);
                }
            }
            catch (DstackException e)
            {
                logger.LogDebug("CVM {Id}: teepod {Teepod} did not answer GetInfo: {Detail}", row.Id, row.TeepodId, e.FullDetail);
            }
        }
        var kmsList = await kmsCatalog.ListAsync();
        var logs = await caps.LinksAsync(request);
        var diskUsage = await disk;
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(CvmMapper.ToDetailV20251028(row, live, kmsList, logs) with { DiskUsage = diskUsage }, CvmsJson.Default.CvmDetailV20251028)
            : TypedResults.Json(CvmMapper.ToDetailV20260121(row, live, kmsList, logs) with { DiskUsage = diskUsage }, CvmsJson.Default.CvmInfoDetailV20260121);
    }

    /// <summary>
    /// The vmm's live state (the SDK's <c>getCvmState</c>). With <c>Accept: text/event-stream</c> and <c>target</c> it
    /// is the SDK's <c>watchCvmState</c> stream instead: a <c>state</c> event every <c>interval</c> seconds, then
    /// <c>complete</c> once the status is <c>target</c>, or <c>timeout</c> after <c>timeout</c> seconds.
    /// </summary>
    private static async Task<IResult> State(
        string cvmId, string? target, string? interval, string? timeout, HttpContext http, CurrentUser user,
        CvmStore queries, CvmPower power, DstackClientFactory clients, CancellationToken ct)
    {
        var watch = http.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
        var v = new Validator("query");
        var every = v.Int("interval", interval, 1, 60, 5);
        var limit = v.Int("timeout", timeout, 1, 600, 300);
        v.Require(!watch || !string.IsNullOrWhiteSpace(target), "target", "Field required", "missing");
        v.ThrowIfInvalid();

        var row = await ResolveAsync(cvmId, user, queries);
        var vmm = clients.VmmOf(row);
        var vm = await vmm.GetInfoAsync(row.VmUuid, ct) ?? throw await power.GoneAsync(row);
        await queries.ObserveAsync(row.Id, vm);
        if (!watch) return TypedResults.Json(CvmMapper.ToState(row, vm), CvmsJson.Default.CvmStateResponse);

        try
        {
            await StreamStateAsync(http, row, vmm, vm, target!.Trim(), TimeSpan.FromSeconds(every), TimeSpan.FromSeconds(limit), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client stopped watching; the stream simply ends.
        }
        return TypedResults.Empty;
    }

    private static async Task StreamStateAsync(
        HttpContext http, CvmRow row, VmmClient vmm, VmInfo first, string target, TimeSpan every, TimeSpan limit, CancellationToken ct)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var deadline = DateTime.UtcNow + limit;
        VmInfo? vm = first;
        while (true)
        {
            if (vm is not null)
            {
                await WriteEventAsync(response, "state", JsonSerializer.Serialize(CvmMapper.ToState(row, vm), CvmsJson.Default.CvmStateResponse), ct);
                if (vm.Status == target)
                {
                    await WriteEventAsync(response, "complete", Event(vm.Status, target, null), ct);
                    return;
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                await WriteEventAsync(response, "timeout", Event(vm?.Status, target, null), ct);
                return;
            }
            await Task.Delay(left < every ? left : every, ct);
            try
            {
                vm = await vmm.GetInfoAsync(row.VmUuid, ct);
                if (vm is null)
                {
                    await WriteEventAsync(response, "error", Event(null, target, $"CVM {row.HashedId} no longer exists on its node"), ct);
                    return;
                }
            }
            catch (DstackException e)
            {
                // The SDK reports an error event and keeps reading; the next look may succeed.
                await WriteEventAsync(response, "error", Event(null, target, e.Message), ct);
                vm = null;
            }
        }
    }

    private static string Event(string? status, string target, string? error) =>
        JsonSerializer.Serialize(new CvmStateStreamEvent(status, target, error), CvmsJson.Default.CvmStateStreamEvent);

    private static async Task WriteEventAsync(HttpResponse response, string name, string json, CancellationToken ct)
    {
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>The live app-compose.json: 502/504 when the vmm does not answer, 409 when the text is not a JSON object.</summary>
    private static async Task<IResult> ComposeFile(
        string cvmId, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients, CancellationToken ct)
    {
        var row = await ResolveAsync(cvmId, user, queries);
        var vm = await clients.VmmOf(row).GetInfoAsync(row.VmUuid, ct)
                 ?? throw await power.GoneAsync(row);
        var json = ComposeFileView.TryRender(vm.Configuration?.ComposeFile)
                   ?? throw ApiException.Conflict($"The app-compose.json of CVM {row.HashedId} is not a valid JSON object");
        return TypedResults.Bytes(json, "application/json");
    }

    private static async Task<IResult> Start(string cvmId, CurrentUser user, CvmStore queries, CvmPower power, CancellationToken ct) =>
        Vm(await power.StartAsync(await ResolveAsync(cvmId, user, queries), ct));

    private static async Task<IResult> Stop(string cvmId, CurrentUser user, CvmStore queries, CvmPower power, CancellationToken ct) =>
        Vm(await power.StopAsync(await ResolveAsync(cvmId, user, queries), ct));

    private static async Task<IResult> Shutdown(string cvmId, CurrentUser user, CvmStore queries, CvmPower power, CancellationToken ct) =>
        Vm(await power.ShutdownAsync(await ResolveAsync(cvmId, user, queries), ct));

    /// <summary>Body optional (<c>{"force": bool}</c>, the SDK always sends it; curl may send nothing).</summary>
    private static async Task<IResult> Restart(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, CancellationToken ct)
    {
        var force = false;
        if (request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
        {
            var body = await JsonSerializer.DeserializeAsync(request.Body, CvmsJson.Default.RestartCvmRequest, ct);
            force = body?.Force ?? false;
        }
        var row = await ResolveAsync(cvmId, user, queries);
        return Vm(await power.RestartAsync(row, force, ct));
    }

    /// <summary>204 with an empty body: the SDK parses the answer with <c>z.void()</c>.</summary>
    private static async Task<IResult> Delete(string cvmId, CurrentUser user, CvmStore queries, CvmPower power, CancellationToken ct)
    {
        await power.DeleteAsync(await ResolveAsync(cvmId, user, queries), ct);
        return TypedResults.NoContent();
    }

    private static IResult Vm((CvmRow Row, VmInfo? Vm) result) =>
        TypedResults.Json(CvmMapper.ToVm(result.Row, result.Vm), CvmsJson.Default.CvmVmResponse);

    internal static async Task<CvmRow> ResolveAsync(string cvmId, CurrentUser user, CvmStore queries)
    {
        // DELETE /cvms/paginated or GET /cvms/provision reach {cvmId} because routing settles the method before it
        // would fall back to the literal route: they are the wrong method on that route, not a CVM lookup.
        if (CvmIds.IsSiblingRoute(cvmId)) throw new ApiException(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed");
        var row = cvmId.Length <= CvmIds.MaxLength ? await queries.FindAsync(Scope(user), CvmIds.Parse(cvmId)) : null;
        return row ?? throw ApiException.NotFound(cvmId.Length <= CvmIds.MaxLength ? $"CVM {cvmId} not found" : "CVM not found");
    }

    private static CvmScope Scope(CurrentUser user) => user.IsAdmin ? CvmScope.Everyone : new CvmScope(user.Id);


    private static long? ParseLong(Validator v, string name, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var ok = long.TryParse(text, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var value);
        v.Require(ok, name, "Input should be a valid integer", "int_parsing");
        if (ok) v.Require(value >= 1, name, "Input should be greater than or equal to 1", "greater_than_equal");
        return ok ? value : null;
    }
}
