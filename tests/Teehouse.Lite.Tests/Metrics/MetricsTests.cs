using System.Net;
using System.Text.Json;
using Teehouse.Lite.Fleet;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Metrics;

/// <summary>What an admin's scrape of /metrics shows about requests, the fleet and the database.</summary>
public sealed class MetricsTests : SimulatedTeepodTest
{
    private const string RequestCount = "http_server_request_duration_seconds_count";

    private TeepodPinger Pinger => (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var admin = await _app.AdminClientAsync();
        var response = await admin.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    private static double Gauge(PrometheusText scrape, string name, string status) =>
        Assert.Single(scrape.Named(name), s => s["status"] == status).Value;

    [Fact]
    public async Task Requests_are_counted_by_route_template_and_status_with_a_latency_histogram()
    {
        using var admin = await _app.AdminClientAsync();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/teepods/{_teepodId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/teepods/98765", Ct)).StatusCode);

        var scrape = await ScrapeAsync();
        Assert.Equal("histogram", scrape.TypeOf["http_server_request_duration_seconds"]);
        var byRoute = scrape.Named(RequestCount).Where(s => s["http_route"] == "/api/v1/teepods/{teepodId}").ToList();
        Assert.Equal(3, Assert.Single(byRoute, s => s["http_response_status_code"] == "200" && s["http_request_method"] == "GET").Value);
        Assert.Equal(1, Assert.Single(byRoute, s => s["http_response_status_code"] == "404").Value);
        // The route template, never the raw path: no id ends up in a label.
        Assert.DoesNotContain(scrape.Samples, s => s.Labels.Values.Any(v => v.Contains("98765", StringComparison.Ordinal)));
        var buckets = scrape.Named("http_server_request_duration_seconds_bucket")
            .Where(s => s["http_route"] == "/api/v1/teepods/{teepodId}" && s["http_response_status_code"] == "200").ToList();
        Assert.Equal(3, Assert.Single(buckets, b => b["le"] == "+Inf").Value);
        Assert.True(buckets.Count > 5, $"{buckets.Count} buckets");
    }

    [Fact]
    public async Task The_teepods_gauge_and_the_ping_latency_follow_a_teepod_going_down_and_up()
    {
        var up = await ScrapeAsync();
        Assert.Equal(1, Gauge(up, "teehouse_teepods", "online"));
        Assert.Equal(0, Gauge(up, "teehouse_teepods", "offline"));

        await _sim.GoDownAsync();
        await Pinger.PingAllAsync(Ct);
        var down = await ScrapeAsync();
        Assert.Equal(0, Gauge(down, "teehouse_teepods", "online"));
        Assert.Equal(1, Gauge(down, "teehouse_teepods", "offline"));

        await _sim.ComeBackAsync();
        await Pinger.PingAllAsync(Ct);
        await Pinger.PingAllAsync(Ct);
        var back = await ScrapeAsync();
        Assert.Equal(1, Gauge(back, "teehouse_teepods", "online"));
        Assert.Equal(0, Gauge(back, "teehouse_teepods", "offline"));

        Assert.Equal("histogram", back.TypeOf["teehouse_teepod_ping_duration_seconds"]);
        var pings = back.Named("teehouse_teepod_ping_duration_seconds_count")
            .Where(s => s["teepod_id"] == _teepodId.ToString() && s["teepod"] == "tdx-1").ToList();
        Assert.Equal(2, Assert.Single(pings, s => s["result"] == "ok").Value);
        Assert.Equal(1, Assert.Single(pings, s => s["result"] == "error").Value);
        var sum = Assert.Single(back.Named("teehouse_teepod_ping_duration_seconds_sum"), s => s["result"] == "ok").Value;
        Assert.InRange(sum, 1e-6, 60);
    }

    [Fact]
    public async Task Cvms_are_counted_by_status()
    {
        var before = await ScrapeAsync();
        Assert.Empty(before.Named("teehouse_cvms"));

        var cvm = await DeployAsync("metrics-app");
        var running = await ScrapeAsync();
        Assert.Equal(1, Gauge(running, "teehouse_cvms", "running"));

        var stop = await _user.PostAsync($"/api/v1/cvms/{cvm.GetProperty("id").GetInt64()}/stop", null, Ct);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var stopped = await ScrapeAsync();
        Assert.Equal(1, Gauge(stopped, "teehouse_cvms", "stopped"));
        Assert.DoesNotContain(stopped.Named("teehouse_cvms"), s => s["status"] == "running");
    }

    [Fact]
    public async Task The_database_size_counts_the_file_and_its_wal()
    {
        var scrape = await ScrapeAsync();
        var size = Assert.Single(scrape.Named("teehouse_database_size_bytes")).Value;
        var onDisk = new FileInfo(_app.Config.Database.Path).Length;
        Assert.True(size >= onDisk && onDisk > 0, $"gauge {size}, file {onDisk}");
        Assert.Equal("gauge", scrape.TypeOf["teehouse_database_size_bytes"]);
        Assert.Contains("SQLite", scrape.HelpOf["teehouse_database_size_bytes"]);
    }

    private async Task<JsonElement> DeployAsync(string name)
    {
        const string compose = "services:\n  web:\n    image: nginx:1.27\n";
        var provision = await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$$"""
            {"name": "{{{name}}}", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{{JsonEncodedText.Encode(compose)}}}", "name": "{{{name}}}", "kms_enabled": true}}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, provision.StatusCode);
        var p = await Json.ReadAsync(provision);
        var pubkey = Convert.FromHexString(p.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var env = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, "{\"env\":[]}"));
        var commit = await _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{p.GetProperty("app_id").GetString()}}", "compose_hash": "{{p.GetProperty("compose_hash").GetString()}}",
             "encrypted_env": "{{env}}"}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, commit.StatusCode);
        return await Json.ReadAsync(commit);
    }
}
