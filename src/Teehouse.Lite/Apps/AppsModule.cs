using System.Globalization;
using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Apps;

/// <summary>
/// Apps: a user's CVMs grouped by app_id (an admin's: everyone's; gone CVMs never count). Lists and inspects them, and
/// adds an instance to an app: same app id, the exact app-compose bytes a live instance runs (or that compose with a
/// new docker_compose_file / pre_launch_script), directly or in two phases (prepare-only → HTTP 465 with a commit
/// token, then a commit with that token).
/// </summary>
public sealed partial class AppsModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;
    /// <summary>Most CVM rows one request reads; apps are grouped from them in memory.</summary>
    private const int MaxRows = 100_000;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/apps").RequireAuthorization();
        group.MapGet("/", List);
        group.MapMissing("GET", "/filter-options");
        group.MapGet("/{appId}", Get);
        group.MapGet("/{appId}/cvms", Cvms);
        group.MapPost("/{appId}/instances", CreateInstance);
        app.MapPost("/api/v1/cvms/{cvmId}/replicas", Replicate).RequireAuthorization();
    }

    /// <summary>
    /// Newest app first (by its newest CVM). Filters: <c>search</c> (part of a CVM name or of the app id),
    /// <c>status</c> (repeatable: an app with a CVM in one of them), <c>listed</c>; the SDK's other filters are ignored.
    /// </summary>
    private static async Task<IResult> List(
        HttpRequest request, string? page, [FromQuery(Name = "page_size")] string? pageSize, string? search, string? listed,
        CurrentUser user, CvmStore queries, LogCapabilities caps)
    {
        var v = new Validator("query");
        var pageNo = v.Int("page", page, 1, int.MaxValue, 1);
        var size = v.Int("page_size", pageSize, 1, MaxPageSize, DefaultPageSize);
        bool? listedOnly = null;
        if (!string.IsNullOrWhiteSpace(listed))
        {
            var ok = bool.TryParse(listed.Trim(), out var flag);
            v.Require(ok, "listed", "Input should be a valid boolean", "bool_parsing");
            if (ok) listedOnly = flag;
        }
        v.ThrowIfInvalid();
        var statuses = request.Query["status"].Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()).ToHashSet();

        var apps = Group(await VisibleRowsAsync(user, queries))
            .Where(a => string.IsNullOrWhiteSpace(search) || a.AppId.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
                        || a.Rows.Any(r => r.Name.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)))
            .Where(a => statuses.Count == 0 || a.Rows.Any(r => statuses.Contains(r.Status)))
            .Where(a => listedOnly is not { } l || a.Rows.Any(r => r.Listed == l))
            .ToList();
        var pageOf = apps.Skip((int)Math.Min(int.MaxValue, (long)(pageNo - 1) * size)).Take(size).ToList();
        var pages = (apps.Count + size - 1) / size;
        var logs = await caps.LinksAsync(request);
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(new AppPageV20251028([.. pageOf.Select(a => ToAppV20251028(a.AppId, a.Rows))], pageNo, size, apps.Count, pages),
                AppsJson.Default.AppPageV20251028)
            : TypedResults.Json(new AppPageV20260121([.. pageOf.Select(a => ToApp(a.AppId, a.Rows, logs))], pageNo, size, apps.Count, pages),
                AppsJson.Default.AppPageV20260121);
    }

    private static async Task<IResult> Get(string appId, HttpRequest request, CurrentUser user, CvmStore queries, LogCapabilities caps)
    {
        var (id, rows) = await AppAsync(appId, user, queries);
        var logs = await caps.LinksAsync(request);
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(ToAppV20251028(id, rows), AppsJson.Default.AppV20251028)
            : TypedResults.Json(ToApp(id, rows, logs), AppsJson.Default.AppV20260121);
    }

    /// <summary>A bare array in the <c>X-Phala-Version</c> shape of the CVM list's items.</summary>
    private static async Task<IResult> Cvms(string appId, HttpRequest request, CurrentUser user, CvmStore queries, LogCapabilities caps)
    {
        var (_, rows) = await AppAsync(appId, user, queries);
        var logs = await caps.LinksAsync(request);
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(rows.Select(r => CvmMapper.ToV20251028(r, logs)).ToList(), CvmsJson.Default.ListCvmInfoV20251028)
            : TypedResults.Json(rows.Select(r => CvmMapper.ToV20260121(r, logs: logs)).ToList(), CvmsJson.Default.ListCvmInfoV20260121);
    }

    private static AppV20260121 ToApp(string appId, List<CvmRow> rows, SyslogLinks logs)
    {
        var infos = rows.Select(r => CvmMapper.ToV20260121(r, logs: logs)).ToList();
        var oldest = rows.MinBy(r => r.CreatedAt, StringComparer.Ordinal)!;
        return new AppV20260121(appId, rows[0].Name, appId, oldest.CreatedAt, "phala", null, null, null, infos[0], infos, infos.Count);
    }

    private static AppV20251028 ToAppV20251028(string appId, List<CvmRow> rows)
    {
        var cvms = rows.Select(ToBasic).ToList();
        var oldest = rows.MinBy(r => r.CreatedAt, StringComparer.Ordinal)!;
        return new AppV20251028(appId, rows[0].Name, appId, oldest.CreatedAt, "phala", null, null, null, cvms[0], cvms, cvms.Count);
    }

    private static CvmBasicInfoV20251028 ToBasic(CvmRow r) => new(
        r.VmUuid, r.AppId, r.Name, r.Status, r.Vcpu ?? 0, r.Memory ?? 0, r.DiskSize ?? 0, r.TeepodId, r.TeepodName, r.TeepodRegion,
        KmsType: null, InstanceType: null, r.Listed, r.Image, KmsSlug: null, KmsId: null, r.InstanceId,
        r.Vcpu is { } v && r.Memory is { } m && r.DiskSize is { } d ? new CvmMachineInfo(v, m, d, 0) : null, r.UpdatedAt);

    /// <summary>Apps in order of their newest CVM (rows arrive newest first), each with its rows newest first.</summary>
    private static IEnumerable<(string AppId, List<CvmRow> Rows)> Group(List<CvmRow> rows) =>
        rows.GroupBy(r => r.AppId, StringComparer.Ordinal).Select(g => (g.Key, g.ToList()));

    private static async Task<(string AppId, List<CvmRow> Rows)> AppAsync(string appId, CurrentUser user, CvmStore queries)
    {
        if (!AppIds.TryNormalize(appId, out var id)) throw ApiException.NotFound($"App {appId} not found");
        var rows = await queries.ForAppAsync(Scope(user), id);
        return rows.Count == 0 ? throw ApiException.NotFound($"App {id} not found") : (id, rows);
    }

    private static async Task<List<CvmRow>> VisibleRowsAsync(CurrentUser user, CvmStore queries) =>
        (await queries.PageAsync(Scope(user), null, null, 1, MaxRows)).Items;

    private static CvmScope Scope(CurrentUser user) => user.IsAdmin ? CvmScope.Everyone : new CvmScope(user.Id);


}
