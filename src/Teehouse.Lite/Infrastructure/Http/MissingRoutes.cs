namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>
/// Literal paths of the hosted contract that Teehouse Lite does not serve but that would otherwise be taken by a
/// sibling <c>{id}</c> route (<c>PATCH /cvms/instance-ids</c> as a CVM named "instance-ids"): mapped to the plain 404
/// <c>{"detail": "Not Found"}</c> an unknown path gets. Literal segments win over parameters in routing.
/// </summary>
public static class MissingRoutes
{
    public static RouteHandlerBuilder MapMissing(this IEndpointRouteBuilder app, string method, string pattern) =>
        // Not part of the contract: kept out of /openapi.json.
        app.MapMethods(pattern, [method], IResult () => throw ApiException.NotFound("Not Found")).ExcludeFromDescription();
}
