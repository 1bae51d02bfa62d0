using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Teehouse.Lite.Tests.Http;

/// <summary>
/// Walks every route the app maps and throws bad input at it: each answer must be JSON with a detail and a 4xx
/// status (never a 5xx, never an empty body). New routes are covered as soon as they are mapped.
/// </summary>
public sealed class ErrorContractTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private HttpClient _admin = null!;

    public async ValueTask InitializeAsync()
    {
        _app = await TestApp.StartAsync();
        _admin = await _app.AdminClientAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    private static readonly string[] BadBodies =
    [
        "{\"name\": ", "not json at all", "[]", "\"a string\"", "123", "null",
        "{\"name\": 123, \"enabled\": \"yes\", \"endpoint\": [], \"tproxy_port\": \"x\", \"node_id\": {}}",
        "{\"name\": \"" + new string('x', 10_000) + "\"}",
    ];

    private static readonly string[] BadIds = ["abc", "99999999999999999999999", "-1", "%2e%2e", "%20", "1;DROP TABLE users", "'", "%E2%82%AC"];

    private List<(string Method, string Pattern)> Routes()
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in _app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods) routes.Add((method, endpoint.RoutePattern.RawText!));
        }
        Assert.NotEmpty(routes);
        return routes;
    }

    private static string Fill(string pattern, string value) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", value);

    [Fact]
    public async Task Malformed_and_wrongly_typed_bodies_get_a_json_4xx()
    {
        foreach (var (method, pattern) in Routes().Where(r => r.Method is "POST" or "PUT" or "PATCH"))
        {
            foreach (var body in BadBodies)
            {
                var request = new HttpRequestMessage(new HttpMethod(method), Fill(pattern, "1"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                await AssertCleanAsync(await _admin.SendAsync(request, TestContext.Current.CancellationToken), $"{method} {pattern} <- {body[..Math.Min(body.Length, 40)]}");
            }
        }
    }

    [Fact]
    public async Task Odd_path_parameters_get_a_json_4xx_or_a_normal_answer()
    {
        foreach (var (method, pattern) in Routes().Where(r => r.Pattern.Contains('{')))
        {
            foreach (var id in BadIds)
            {
                var request = new HttpRequestMessage(new HttpMethod(method), Fill(pattern, id));
                if (method is "POST" or "PUT" or "PATCH") request.Content = Json.Body("{}");
                await AssertCleanAsync(await _admin.SendAsync(request, TestContext.Current.CancellationToken), $"{method} {pattern} with {id}");
            }
        }
    }

    [Fact]
    public async Task Wrong_methods_are_405_json()
    {
        foreach (var (_, pattern) in Routes().DistinctBy(r => r.Pattern))
        {
            var mapped = Routes().Where(r => r.Pattern == pattern).Select(r => r.Method).ToHashSet();
            var wrong = new[] { "DELETE", "PATCH", "PUT", "POST", "GET" }.First(m => !mapped.Contains(m));
            var response = await _admin.SendAsync(new HttpRequestMessage(new HttpMethod(wrong), Fill(pattern, "1")), TestContext.Current.CancellationToken);
            Assert.Equal("Method Not Allowed", await Json.AssertDetailAsync(response, HttpStatusCode.MethodNotAllowed));
        }
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/api/v1/nope")]
    [InlineData("/api/v1/teepods/1/nope/deeper")]
    public async Task Unknown_routes_are_404_json(string path)
    {
        var response = await _admin.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("Not Found", await Json.AssertDetailAsync(response, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task A_nul_byte_in_the_path_is_refused_by_kestrel_with_400()
    {
        // Kestrel rejects such a request line before any middleware runs, so it has no JSON body; still a clean 4xx.
        var response = await _admin.GetAsync("/api/v1/teepods/%00", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_bad_integer_path_parameter_is_a_422_list()
    {
        var response = await _admin.GetAsync("/api/v1/teepods/abc", TestContext.Current.CancellationToken);
        var detail = await Json.AssertValidationAsync(response);
        Assert.Equal("path", detail[0].GetProperty("loc")[0].GetString());
        Assert.Equal("teepodId", detail[0].GetProperty("loc")[1].GetString());
    }

    private static async Task AssertCleanAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{what}: answered {status}: {await response.Content.ReadAsStringAsync()}");
        if (status >= 400)
        {
            var body = await Json.ReadAsync(response);
            Assert.True(body.TryGetProperty("detail", out _), $"{what}: {status} without detail");
        }
    }

    [Fact]
    public void The_error_layer_recognises_admins_by_the_role_the_token_handler_sets() =>
        // Spelled twice so that Infrastructure does not depend on a feature; this keeps the two spellings one.
        Assert.Equal(Teehouse.Lite.Users.Roles.Admin, Teehouse.Lite.Infrastructure.Http.ErrorHandling.AdminRole);
}
