using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Teehouse.Lite.Tests.Metrics;

/// <summary>Who may scrape /metrics, and where: the main listener for admins, or a separate listener for anyone.</summary>
public sealed class MetricsAccessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task AssertDetailAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await Json.ReadAsync(response)).GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task On_the_main_listener_only_an_admin_token_scrapes()
    {
        await using var app = await TestApp.StartAsync();
        await AssertDetailAsync(await app.Client().GetAsync("/metrics", Ct), HttpStatusCode.Unauthorized);
        using var user = await app.UserClientAsync();
        await AssertDetailAsync(await user.GetAsync("/metrics", Ct), HttpStatusCode.Forbidden);
        using var admin = await app.AdminClientAsync();
        var scrape = await admin.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var text = PrometheusText.Parse(await scrape.Content.ReadAsStringAsync(Ct));
        Assert.Equal("gauge", text.TypeOf["teehouse_teepods"]);
    }

    [Fact]
    public async Task A_separate_listener_serves_metrics_without_a_token_and_nothing_else_while_the_main_one_404s()
    {
        await using var app = await TestApp.StartAsync(c => c.Metrics.Listen = "127.0.0.1:0");
        var addresses = app.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).ToList();
        Assert.Equal(2, addresses.Count);
        var metricsUrl = Assert.Single(addresses, a => a.Port != app.BaseUrl.Port);
        using var metrics = new HttpClient { BaseAddress = metricsUrl };

        var scrape = await metrics.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var text = PrometheusText.Parse(await scrape.Content.ReadAsStringAsync(Ct));
        Assert.Single(text.Named("teehouse_database_size_bytes"));
        // The API is not reachable through the metrics port, with or without a token.
        var adminToken = await app.CreateTokenAsync("admin", Teehouse.Lite.Users.Roles.Admin);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/me");
        request.Headers.Authorization = new("Bearer", adminToken);
        await AssertDetailAsync(await metrics.SendAsync(request, Ct), HttpStatusCode.NotFound);
        await AssertDetailAsync(await metrics.GetAsync("/healthz", Ct), HttpStatusCode.NotFound);

        using var admin = app.Client(adminToken);
        await AssertDetailAsync(await admin.GetAsync("/metrics", Ct), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/auth/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task Disabled_metrics_are_not_served()
    {
        await using var app = await TestApp.StartAsync(c => c.Metrics.Enabled = false);
        using var admin = await app.AdminClientAsync();
        await AssertDetailAsync(await admin.GetAsync("/metrics", Ct), HttpStatusCode.NotFound);
    }
}
