using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Audit;

/// <summary>The audit log, newest first, for admins: who did what to which resource, from where, and how it ended.</summary>
public sealed class AuditModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/audit").RequireAuthorization(Policies.Admin);
        group.MapGet("/", List).Produces<AuditPage>();
    }

    /// <summary>
    /// <c>?page=&amp;page_size=&amp;user=&amp;target=&amp;since=&amp;until=</c>, answered <c>{items, total, page, page_size, pages}</c>
    /// like <c>/cvms/paginated</c>. Records are queued by the requests and written in the background: the queue is
    /// flushed first, so a request whose answer came back before this one was sent is always in the page.
    /// </summary>
    private static async Task<IResult> List(
        string? page, [FromQuery(Name = "page_size")] string? pageSize, string? user, string? target, string? since,
        string? until, AuditWriter writer, AuditStore store, CancellationToken ct)
    {
        var v = new Validator("query");
        var pageNo = v.Int("page", page, 1, int.MaxValue, 1);
        var size = v.Int("page_size", pageSize, 1, MaxPageSize, DefaultPageSize);
        var filter = AuditFilter.Parse(v, user, target, since, until);
        v.ThrowIfInvalid();

        await writer.FlushAsync(ct);
        var (rows, total) = await store.PageAsync(filter, pageNo, size);
        var answer = new AuditPage([.. rows.Select(AuditEntry.From)], total, pageNo, size, (total + size - 1) / size);
        return TypedResults.Json(answer, AuditJson.Default.AuditPage);
    }
}
