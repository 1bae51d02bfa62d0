using System.Globalization;
using System.Text;
using System.Text.Json;
using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

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

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/apps").RequireAuthorization();
        group.MapGet("/", List).Produces<AppPageV20260121>();
        group.MapMissing("GET", "/filter-options");
        group.MapGet("/{appId}", Get).Produces<AppV20260121>();
        group.MapGet("/{appId}/cvms", Cvms).Produces<List<CvmInfoV20260121>>();
        group.MapPost("/{appId}/instances", CreateInstance).Produces<CvmVmResponse>();
        app.MapPost("/api/v1/cvms/{cvmId}/replicas", Replicate).RequireAuthorization().Produces<CvmVmResponse>();
    }

    /// <summary>
    /// Newest app first (by its newest CVM). Filters: <c>search</c> (part of a CVM name or of the app id),
    /// <c>status</c> (repeatable: an app with a CVM in one of them), <c>listed</c>; the SDK's other filters are ignored.
    /// Grouped and paged in SQL (<see cref="CvmStore.AppPageAsync"/>); a page asked again before the database changed
    /// is answered from the bytes serialised the first time.
    /// </summary>
    private static async Task<IResult> List(
        HttpRequest request, string? page, [FromQuery(Name = "page_size")] string? pageSize, string? search, string? listed,
        CurrentUser user, CvmStore queries, LogCapabilities caps, DbChanges changes, AnswerCache answers, TeepodReadModels teepods)
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
        var statuses = request.Query["status"].Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim())
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var filter = new AppListFilter(string.IsNullOrWhiteSpace(search) ? null : search.Trim(), statuses, listedOnly);

        var version = ApiVersion.Of(request);
        var scope = Scope(user);
        var logs = await caps.LinksAsync(request);
        var key = new AnswerKey("apps", scope.OwnerId, AppListKey(filter, pageNo, size), version, logs.BaseUrl, logs.ExpiresUnix, 0);
        // The version before the query: bytes read after a commit are filed under the epoch before it, never after.
        var db = changes.Current();
        return new JsonBytes(await answers.GetOrBuildAsync(db.Epoch, key, async () =>
        {
            var (apps, total) = await queries.AppPageAsync(await teepods.CurrentAsync(), scope, filter, pageNo, size);
            var pages = (total + size - 1) / size;
            return version == ApiVersion.V20251028
                ? JsonSerializer.SerializeToUtf8Bytes(
                    new AppPageV20251028([.. apps.Select(a => ToAppV20251028(a.AppId, a.Rows))], pageNo, size, total, pages),
                    AppsJson.Default.AppPageV20251028)
                : JsonSerializer.SerializeToUtf8Bytes(
                    new AppPageV20260121([.. apps.Select(a => ToApp(a.AppId, a.Rows, logs))], pageNo, size, total, pages),
                    AppsJson.Default.AppPageV20260121);
        }));
    }

    /// <summary>The filters as one unambiguous text: each part length-prefixed; statuses are a set, sorted.</summary>
    internal static string AppListKey(AppListFilter filter, int page, int size)
    {
        var key = new StringBuilder();
        void Part(string? text) => key.Append(text is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{text.Length}:{text}")).Append('|');
        Part(filter.Search);
        Part(filter.Listed?.ToString());
        foreach (var status in filter.Statuses) Part(status);
        return key.Append(CultureInfo.InvariantCulture, $"{page}|{size}").ToString();
    }

    private static async Task<IResult> Get(
        string appId, HttpRequest request, CurrentUser user, CvmStore queries, LogCapabilities caps, TeepodReadModels teepods)
    {
        var (id, rows) = await AppAsync(appId, user, queries, teepods);
        var logs = await caps.LinksAsync(request);
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(ToAppV20251028(id, rows), AppsJson.Default.AppV20251028)
            : TypedResults.Json(ToApp(id, rows, logs), AppsJson.Default.AppV20260121);
    }

    /// <summary>A bare array in the <c>X-Phala-Version</c> shape of the CVM list's items.</summary>
    private static async Task<IResult> Cvms(
        string appId, HttpRequest request, CurrentUser user, CvmStore queries, LogCapabilities caps, TeepodReadModels teepods)
    {
        var (_, rows) = await AppAsync(appId, user, queries, teepods);
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

    private static async Task<(string AppId, List<CvmRow> Rows)> AppAsync(
        string appId, CurrentUser user, CvmStore queries, TeepodReadModels teepods)
    {
        if (!AppIds.TryNormalize(appId, out var id)) throw ApiException.NotFound($"App {appId} not found");
        var rows = await queries.AppCvmsAsync(await teepods.CurrentAsync(), Scope(user), id);
        return rows.Count == 0 ? throw ApiException.NotFound($"App {id} not found") : (id, rows);
    }

    private static CvmScope Scope(CurrentUser user) => user.IsAdmin ? CvmScope.Everyone : new CvmScope(user.Id);
}
