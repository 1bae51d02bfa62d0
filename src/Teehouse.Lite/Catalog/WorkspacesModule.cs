using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Catalog;

/// <summary>
/// Teehouse Lite has no teams: each user has one synthetic workspace, the one <c>GET /auth/me</c> shows (id
/// <c>ws-{user id}</c>, slug the lower-case username, role owner). Its slug or id names it; any other is 404.
/// <list type="bullet">
/// <item><c>/workspaces/{slug}/quotas</c>: the [tiers.*] limits of the user's tier (FREE when not configured) and what is
/// left after the user's live CVMs and creations in flight; -1 (limit and remaining) is "no limit" (admins: all -1).
/// No reserved nodes or GPUs.</item>
/// <item><c>/workspaces/{slug}/nodes</c>: the teepods the caller may deploy to (enabled; listed ones unless admin).</item>
/// </list>
/// </summary>
public sealed class WorkspacesModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/workspaces").RequireAuthorization();
        group.MapGet("/", List).Produces<WorkspaceList>();
        group.MapGet("/{slug}", Get).Produces<WorkspaceResponse>();
        group.MapGet("/{slug}/quotas", Quotas).Produces<WorkspaceQuotas>();
        group.MapGet("/{slug}/nodes", Nodes).Produces<WorkspaceNodes>();
    }

    private static IResult List(CurrentUser user) =>
        TypedResults.Json(new WorkspaceList([Of(user.User!)], new WorkspacePagination(false, null, 1)), CatalogJson.Default.WorkspaceList);

    private static IResult Get(string slug, CurrentUser user) =>
        TypedResults.Json(Resolve(slug, user), CatalogJson.Default.WorkspaceResponse);

    private static async Task<IResult> Quotas(string slug, CurrentUser user, Quota quota)
    {
        var workspace = Resolve(slug, user);
        var (tierName, tier, used) = await quota.UsageAsync(user.User!);
        var admin = user.IsAdmin;
        var quotas = new WorkspaceQuotaSet(
            Metric(admin ? null : tier?.MaxInstances, used.Instances), Metric(admin ? null : tier?.MaxVcpu, used.Vcpu),
            Metric(admin ? null : tier?.MaxMemory, used.Memory), Metric(admin ? null : tier?.MaxDisk, used.Disk));
        return TypedResults.Json(new WorkspaceQuotas(workspace.Slug!, admin ? workspace.Tier : tierName, quotas, new QuotaMetric(0, 0),
                new ReservedGpuQuota(new QuotaMetric(0, 0), 0, 0), Clock.ToText(DateTime.UtcNow)),
            CatalogJson.Default.WorkspaceQuotas);

        static QuotaMetric Metric(int? limit, long inUse) =>
            limit is { } max ? new QuotaMetric(max, Math.Max(0, max - inUse)) : new QuotaMetric(-1, -1);
    }

    private static async Task<IResult> Nodes(
        string slug, string? page, [FromQuery(Name = "page_size")] string? pageSize, CurrentUser user, TeepodStore teepods)
    {
        Resolve(slug, user);
        var v = new Validator("query");
        var pageNo = v.Int("page", page, 1, int.MaxValue, 1);
        var size = v.Int("page_size", pageSize, 1, CatalogModule.MaxPageSize, CatalogModule.DefaultPageSize);
        v.ThrowIfInvalid();
        var usable = (await teepods.ListAsync(includeDisabled: false))
            .Where(t => t.Enabled && (t.Listed || user.IsAdmin))
            .OrderBy(t => t.Id)
            .Select(t => new NodeRef("node", t.Id, t.Name, t.RegionIdentifier, DeviceId: null, Ppid: null, t.Status, t.TeepodVersion))
            .ToList();
        var items = usable.Skip((int)Math.Min((long)(pageNo - 1) * size, int.MaxValue)).Take(size).ToList();
        return TypedResults.Json(new WorkspaceNodes(items, usable.Count, pageNo, size, (usable.Count + size - 1) / size),
            CatalogJson.Default.WorkspaceNodes);
    }

    /// <summary>The caller's workspace, as <c>GET /auth/me</c> names it.</summary>
    private static WorkspaceResponse Of(UserRecord user) =>
        new($"ws-{user.Id}", user.Username, user.Username.ToLowerInvariant(), user.Tier, "owner", IsDefault: true, user.CreatedAt);

    private static WorkspaceResponse Resolve(string slug, CurrentUser user)
    {
        var mine = Of(user.User!);
        if (string.Equals(slug, mine.Slug, StringComparison.OrdinalIgnoreCase) || string.Equals(slug, mine.Id, StringComparison.Ordinal))
            return mine;
        throw ApiException.NotFound($"Workspace {slug} not found");
    }
}
