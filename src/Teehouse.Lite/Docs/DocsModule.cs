using Carter;
using Teehouse.Lite.Infrastructure;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Docs;

/// <summary>Where a newcomer (or a browser) lands: what this server is, and where its contract and health are.</summary>
public sealed record ServiceIndex(string Service, string Version, string Openapi, string Health, string Docs);

/// <summary>
/// <c>GET /</c> and <c>GET /openapi.json</c>, both without a token: the document is the public contract of the routes
/// (the same one the official SDK is written against) and holds no secret, no teepod and no user data.
/// </summary>
public sealed class DocsModule : ICarterModule
{
    public const string OpenApiPath = "/openapi.json";

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/", Index).AllowAnonymous().WithName("GetServiceIndex").Produces<ServiceIndex>();
        app.MapOpenApi(OpenApiPath).AllowAnonymous();
    }

    private static IResult Index(HttpContext context)
    {
        var index = new ServiceIndex("teehouse-lite", BuildInfo.Version, OpenApiPath, "/healthz", "see README.md");
        // A browser gets a page with links; every other client the JSON.
        if (context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)))
            return TypedResults.Content(Html(index), "text/html; charset=utf-8");
        return TypedResults.Json(index, DocsJson.Default.ServiceIndex);
    }

    private static string Html(ServiceIndex index) => $"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Teehouse Lite {index.Version}</title></head>
        <body><h1>Teehouse Lite {index.Version}</h1>
        <p>A self-hosted control plane for dstack hosts, serving the Phala Cloud API.</p>
        <ul><li><a href="{index.Openapi}">{index.Openapi}</a>: the OpenAPI document of every route</li>
        <li><a href="{index.Health}">{index.Health}</a>: health and version</li>
        <li>README.md in the source tree: setup, configuration and the route table</li></ul>
        </body></html>
        """;
}
