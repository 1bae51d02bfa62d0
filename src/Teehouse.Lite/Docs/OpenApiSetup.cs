using System.Reflection;
using Carter;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Teehouse.Lite.Infrastructure;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Docs;

/// <summary>
/// The built-in ASP.NET Core OpenAPI generator (AOT-safe: schemas come from the source-generated JSON contexts). The
/// document is committed as src/Teehouse.Lite/openapi.json and compared in the tests, so it must not depend on the run:
/// no server address, and each operation tagged with its feature folder and named after its handler.
/// </summary>
public static class OpenApiSetup
{
    public static IServiceCollection AddDocs(this IServiceCollection services)
    {
        services.AddSingleton<ICarterModule, DocsModule>().AddJsonTypes(DocsJson.Default);
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Teehouse Lite",
                    Version = BuildInfo.Version,
                    Description = "The Phala Cloud (Teehouse) REST API for self-hosted dstack hosts. "
                                  + "Authorization: Bearer <token> or X-API-Key: <token>; errors are {\"detail\": ...}.",
                };
                // The address the document was fetched from is not part of the contract.
                document.Servers = [];
                UniqueOperationIds(document);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var handler = context.Description.ActionDescriptor.EndpointMetadata.OfType<MethodInfo>().FirstOrDefault();
                var feature = FeatureOf(handler) ?? FeatureOf(context.Description.RelativePath);
                operation.Tags = new HashSet<OpenApiTagReference> { new(feature, null, null) };
                operation.OperationId ??= handler is { } m && !m.Name.Contains('<') ? $"{feature}_{m.Name}" : null;
                operation.Responses ??= new OpenApiResponses();
                operation.Responses["default"] = ErrorResponse();
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// Every failure of every route has one shape (ErrorHandling): <c>{"detail": "…"}</c>, or for 422 FastAPI's list of
    /// <c>{loc, msg, type}</c>. Written by the error middleware, not the handlers, so it is described here once.
    /// </summary>
    private static OpenApiResponse ErrorResponse() => new()
    {
        Description = "An error: 400, 401, 403, 404, 409, 422 (detail is a list of {loc, msg, type}), 502 or 504",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "detail" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["detail"] = new OpenApiSchema
                        {
                            Description = "What went wrong, as a sentence; for 422 the list of invalid fields",
                            OneOf =
                            [
                                new OpenApiSchema { Type = JsonSchemaType.String },
                                new OpenApiSchema
                                {
                                    Type = JsonSchemaType.Array,
                                    Items = new OpenApiSchema
                                    {
                                        Type = JsonSchemaType.Object,
                                        Required = new HashSet<string> { "loc", "msg", "type" },
                                        Properties = new Dictionary<string, IOpenApiSchema>
                                        {
                                            ["loc"] = new OpenApiSchema { Type = JsonSchemaType.Array },
                                            ["msg"] = new OpenApiSchema { Type = JsonSchemaType.String },
                                            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                                        },
                                    },
                                },
                            ],
                        },
                    },
                },
            },
        },
    };

    /// <summary>The feature folder is the handler's namespace: <c>Teehouse.Lite.Teepods</c> → <c>Teepods</c>.</summary>
    private static string? FeatureOf(MethodInfo? handler) =>
        handler?.DeclaringType?.Namespace is { } ns && ns.StartsWith("Teehouse.Lite.", StringComparison.Ordinal)
            ? ns["Teehouse.Lite.".Length..].Split('.')[0]
            : null;

    private static string FeatureOf(string? path)
    {
        var segments = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var name = segments is ["api", "v1", var resource, ..] ? resource : segments.FirstOrDefault() ?? "Service";
        return char.ToUpperInvariant(name[0]) + name[1..];
    }

    /// <summary>
    /// One handler may serve several routes (stop/start/shutdown): those ids get the method and path instead, and an
    /// operation without one gets the same, so every id is unique and stable.
    /// </summary>
    private static void UniqueOperationIds(OpenApiDocument document)
    {
        var operations = (document.Paths ?? [])
            .SelectMany(p => (p.Value.Operations ?? []).Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value)))
            .ToList();
        var taken = operations.Where(o => o.Operation.OperationId is not null)
            .GroupBy(o => o.Operation.OperationId!).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var (path, method, operation) in operations)
        {
            if (operation.OperationId is not null && !taken.Contains(operation.OperationId)) continue;
            operation.OperationId = method.Method.ToLowerInvariant() + string.Concat(path.Split('/', '-', '_', '{', '}', '.')
                .Where(s => s.Length > 0).Select(s => char.ToUpperInvariant(s[0]) + s[1..]));
        }
    }
}
