using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Teepods;

public sealed class TeepodsModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/teepods").RequireAuthorization();
        group.MapGet("/", List);
        group.MapGet("/{teepodId}", Get).RequireAuthorization(Policies.Admin);
    }

    /// <summary>Users see the enabled teepods, admins every one.</summary>
    private static async Task<IResult> List(TeepodStore store, CurrentUser user)
    {
        var teepods = await store.ListAsync(includeDisabled: user.IsAdmin);
        return TypedResults.Json(teepods.Select(TeepodMapping.ToResponse).ToList(), AppJsonContext.Default.ListTeepodResponse);
    }

    private static async Task<IResult> Get(long teepodId, TeepodStore store)
    {
        var teepod = await store.FindAsync(teepodId) ?? throw ApiException.NotFound($"Teepod {teepodId} not found");
        return TypedResults.Json(TeepodMapping.ToResponse(teepod), AppJsonContext.Default.TeepodResponse);
    }
}
