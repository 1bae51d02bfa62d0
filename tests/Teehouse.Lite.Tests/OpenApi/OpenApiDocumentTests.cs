using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Teehouse.Lite.Tests.OpenApi;

/// <summary>
/// /openapi.json is the committed contract: a route added, removed or reshaped shows as a diff of
/// src/Teehouse.Lite/openapi.json. Regenerate it with scripts/openapi.sh (UPDATE_OPENAPI=1 on this test).
/// </summary>
public sealed class OpenApiDocumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string CommittedPath => Path.Combine(RepoRoot.Path, "src", "Teehouse.Lite", "openapi.json");

    /// <summary>The served document in the committed form: indented, members in the order the server wrote them.</summary>
    private static async Task<string> FetchAsync(TestApp app)
    {
        var response = await app.Client().GetAsync("/openapi.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(Ct));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            document.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    [Fact]
    public async Task The_served_document_is_the_committed_one()
    {
        await using var app = await TestApp.StartAsync();
        var served = await FetchAsync(app);
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, served, Ct);
            return;
        }
        var committed = File.Exists(CommittedPath) ? (await File.ReadAllTextAsync(CommittedPath, Ct)).Replace("\r\n", "\n") : "";
        if (committed == served) return;
        var servedLines = served.Split('\n');
        var committedLines = committed.Split('\n');
        var first = Enumerable.Range(0, Math.Min(servedLines.Length, committedLines.Length))
            .FirstOrDefault(i => servedLines[i] != committedLines[i], Math.Min(servedLines.Length, committedLines.Length));
        Assert.Fail($"""
            GET /openapi.json differs from the committed src/Teehouse.Lite/openapi.json (first at line {first + 1}:
              committed: {committedLines.ElementAtOrDefault(first)}
              served:    {servedLines.ElementAtOrDefault(first)})
            If the change of the API is intended, regenerate the file and commit it:  scripts/openapi.sh
            """);
    }

    [Fact]
    public async Task Every_route_is_described_with_a_tag_and_a_unique_operation_id()
    {
        await using var app = await TestApp.StartAsync();
        using var document = JsonDocument.Parse(await FetchAsync(app));
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString());
        Assert.Equal("Teehouse Lite", root.GetProperty("info").GetProperty("title").GetString());
        Assert.False(root.TryGetProperty("servers", out var servers) && servers.GetArrayLength() > 0, "no run-dependent server address");

        var described = new HashSet<string>(StringComparer.Ordinal);
        var ids = new List<string>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        foreach (var operation in path.Value.EnumerateObject())
        {
            described.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
            ids.Add(operation.Value.GetProperty("operationId").GetString()!);
            Assert.Equal(1, operation.Value.GetProperty("tags").GetArrayLength());
        }
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());

        // Every route handler the app maps (Carter modules), by method and template, is in the document.
        var routes = app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<System.Reflection.MethodInfo>() is not null)
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription != true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Template(e)}"))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(routes.Count > 50, $"{routes.Count} routes found");
        var missing = routes.Except(described).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "routes missing from /openapi.json:\n  " + string.Join("\n  ", missing));
        Assert.Contains("GET /api/v1/teepods/{teepodId}", described);
        Assert.Contains("GET /", described);
    }

    /// <summary>
    /// Each operation says what it answers: a success with a schema (or 204), and the shared error shape. Without it a
    /// reshaped answer would not show in the committed document, which is what the document is for.
    /// </summary>
    [Fact]
    public async Task Every_operation_has_a_typed_success_and_the_error_shape()
    {
        await using var app = await TestApp.StartAsync();
        using var document = JsonDocument.Parse(await FetchAsync(app));
        var root = document.RootElement;
        var untyped = new List<string>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        foreach (var operation in path.Value.EnumerateObject())
        {
            var responses = operation.Value.GetProperty("responses");
            var typed = responses.EnumerateObject().Any(r => r.Name == "204"
                || r.Name.StartsWith('2') && r.Value.TryGetProperty("content", out var content)
                   && content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _)));
            if (!typed) untyped.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
            var error = responses.GetProperty("default").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Equal("detail", error.GetProperty("required")[0].GetString());
        }
        Assert.True(untyped.Count == 0, "operations without a typed success response (add .Produces<T>()):\n  " + string.Join("\n  ", untyped));

        // The schemas are the wire's: snake_case, as the source-generated contexts write them.
        var measurements = root.GetProperty("components").GetProperty("schemas").GetProperty("ImageMeasurementResponse").GetProperty("properties");
        Assert.True(measurements.TryGetProperty("os_image_hash", out _));
        var detail = root.GetProperty("components").GetProperty("schemas").GetProperty("CvmInfoDetailV20260121").GetProperty("properties");
        Assert.True(detail.TryGetProperty("disk_usage", out _));
    }

    private static string Template(RouteEndpoint endpoint)
    {
        var raw = "/" + endpoint.RoutePattern.RawText!.Trim('/');
        return raw;
    }

    [Fact]
    public async Task The_document_needs_no_token()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().GetAsync("/openapi.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }
}
