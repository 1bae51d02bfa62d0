using System.Net;
using System.Net.Http.Headers;

namespace Teehouse.Lite.Tests.OpenApi;

/// <summary><c>GET /</c> says what answers here and where to look next; other unknown paths stay JSON 404s.</summary>
public sealed class ServiceIndexTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_root_names_the_service_and_points_at_the_contract_health_and_readme()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await Json.ReadAsync(response);
        Assert.Equal("teehouse-lite", body.GetProperty("service").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", body.GetProperty("version").GetString());
        Assert.Equal("/openapi.json", body.GetProperty("openapi").GetString());
        Assert.Equal("/healthz", body.GetProperty("health").GetString());
        Assert.Contains("README.md", body.GetProperty("docs").GetString());
        // The links lead somewhere, without a token.
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync(body.GetProperty("openapi").GetString(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync(body.GetProperty("health").GetString(), Ct)).StatusCode);
    }

    [Fact]
    public async Task A_browser_gets_a_page_with_the_links()
    {
        await using var app = await TestApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        var response = await app.Client().SendAsync(request, Ct);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("href=\"/openapi.json\"", page);
        Assert.Contains("href=\"/healthz\"", page);
    }

    [Fact]
    public async Task Unknown_paths_stay_json_404s()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().GetAsync("/no/such/page", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Not Found", (await Json.ReadAsync(response)).GetProperty("detail").GetString());
    }
}
