using Teehouse.Lite.Fleet;
using System.Net;
using System.Text.Json;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Teepods;

/// <summary>The teepod endpoints against the dstack-vmm simulator over real HTTP.</summary>
public sealed class TeepodsApiTests : IAsyncLifetime
{
    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _admin = null!;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 12 });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.RequestTimeoutMs = 1500;
            c.Vmm.PingIntervalS = 3600; // tests ping explicitly
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString(), Version = "0.5.5" });
        });
        _admin = await _app.AdminClientAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private string SimEndpoint => _sim.BaseUrl.ToString().TrimEnd('/');

    private Task<HttpResponseMessage> RegisterAsync(string name, string? endpoint = null, string extra = "") =>
        _admin.PostAsync("/api/v1/teepods", Json.Body(
            $$"""{"name": "{{name}}", "endpoint": "{{endpoint ?? SimEndpoint}}", "kms_endpoint": "{{_sim.KmsUrl}}", "region_identifier": "eu-west"{{extra}}}"""),
            TestContext.Current.CancellationToken);

    private async Task<JsonElement> RegisterOkAsync(string name = "tdx-1")
    {
        var response = await RegisterAsync(name);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    [Fact]
    public async Task Registering_probes_the_vmm_and_kms_and_fills_every_field()
    {
        var t = await RegisterOkAsync();

        foreach (var key in new[]
                 {
                     "id", "name", "endpoint", "kms_url", "kms_version", "kms_ca_cert", "tproxy_url", "tproxy_version",
                     "tproxy_base_domain", "tproxy_port", "tproxy_tappd_port", "teepod_version", "max_cvm_number",
                     "max_allocable_vcpu", "max_allocable_memory_in_mb", "max_disk_size_in_gb", "status", "enabled",
                     "last_ping_at", "created_at", "region_identifier",
                 })
            Assert.True(t.TryGetProperty(key, out _), $"missing key {key}");

        Assert.Equal("tdx-1", t.GetProperty("name").GetString());
        Assert.Equal(SimEndpoint, t.GetProperty("endpoint").GetString());
        Assert.Equal("0.5.11", t.GetProperty("teepod_version").GetString());
        Assert.Equal("online", t.GetProperty("status").GetString());
        Assert.True(t.GetProperty("enabled").GetBoolean());
        Assert.Equal("eu-west", t.GetProperty("region_identifier").GetString());
        Assert.Equal(1000, t.GetProperty("max_cvm_number").GetInt64());
        Assert.Equal(20, t.GetProperty("max_allocable_vcpu").GetInt64());
        Assert.Equal(100000, t.GetProperty("max_allocable_memory_in_mb").GetInt64());
        Assert.Equal("localhost", t.GetProperty("tproxy_base_domain").GetString());
        Assert.Equal(8082, t.GetProperty("tproxy_port").GetInt64());
        Assert.Equal(8090, t.GetProperty("tproxy_tappd_port").GetInt64());
        Assert.Equal(_sim.KmsUrl.ToString().TrimEnd('/'), t.GetProperty("kms_url").GetString());
        Assert.Equal("0.5.5", t.GetProperty("kms_version").GetString()); // from the matching [[kms]] entry

        var cert = t.GetProperty("kms_ca_cert");
        Assert.Equal("Dstack KMS CA", cert.GetProperty("subject").GetProperty("common_name").GetString());
        Assert.True(cert.GetProperty("is_ca").GetBoolean());
        Assert.Contains("kms.local", cert.GetProperty("sans").EnumerateArray().Select(s => s.GetString()));
        Assert.Matches("^[0-9a-f]{64}$", cert.GetProperty("fingerprint").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT", t.GetProperty("created_at").GetString());

        var id = t.GetProperty("id").GetInt64();
        var get = await Json.ReadAsync(await _admin.GetAsync($"/api/v1/teepods/{id}", TestContext.Current.CancellationToken));
        Assert.Equal("tdx-1", get.GetProperty("name").GetString());
        Assert.Equal("Dstack KMS CA", get.GetProperty("kms_ca_cert").GetProperty("issuer").GetProperty("common_name").GetString());
    }

    [Fact]
    public async Task Duplicates_are_409_and_bad_input_is_a_422_naming_each_field()
    {
        await RegisterOkAsync();
        Assert.Contains("already exists", await Json.AssertDetailAsync(await RegisterAsync("TDX-1", "http://127.0.0.1:1"), HttpStatusCode.Conflict));
        Assert.Contains("already registered at", await Json.AssertDetailAsync(await RegisterAsync("tdx-2", SimEndpoint + "/"), HttpStatusCode.Conflict));

        var bad = await _admin.PostAsync("/api/v1/teepods",
            Json.Body("""{"endpoint": "ftp://x", "tproxy_port": 70000, "kms_endpoint": "nope"}"""), TestContext.Current.CancellationToken);
        var detail = await Json.AssertValidationAsync(bad);
        var fields = detail.EnumerateArray().Select(e => e.GetProperty("loc")[1].GetString()).ToList();
        Assert.Equal(["name", "endpoint", "kms_endpoint", "tproxy_port"], fields);
    }

    [Fact]
    public async Task A_user_may_not_register()
    {
        using var user = await _app.UserClientAsync();
        var response = await user.PostAsync("/api/v1/teepods", Json.Body($$"""{"name": "x", "endpoint": "{{SimEndpoint}}"}"""), TestContext.Current.CancellationToken);
        await Json.AssertDetailAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_unreachable_vmm_is_502_and_nothing_is_stored()
    {
        await _sim.GoDownAsync();
        var detail = await Json.AssertDetailAsync(await RegisterAsync("down"), HttpStatusCode.BadGateway);
        Assert.Contains("unreachable", detail);
        await _sim.ComeBackAsync();
        Assert.Equal("[]", await _admin.GetStringAsync("/api/v1/teepods", TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hanging_vmm_is_504_within_the_timeout()
    {
        _sim.SetFault(FaultMode.Hang);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var detail = await Json.AssertDetailAsync(await RegisterAsync("slow"), HttpStatusCode.GatewayTimeout);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"took {started.Elapsed}");
        Assert.Contains("did not answer", detail);
        _sim.SetFault(FaultMode.None);
        Assert.Equal("[]", await _admin.GetStringAsync("/api/v1/teepods", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_vmm_answering_garbage_is_502()
    {
        _sim.SetFault(FaultMode.Garbage);
        await Json.AssertDetailAsync(await RegisterAsync("garbage"), HttpStatusCode.BadGateway);
        _sim.SetFault(FaultMode.None);
    }

    [Fact]
    public async Task Preflight_is_204_for_a_usable_host_and_says_why_not_otherwise()
    {
        var ok = await _admin.PostAsync($"/api/v1/teepods/preflight?endpoint={Uri.EscapeDataString(SimEndpoint)}", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        Assert.Equal("", await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("[]", await _admin.GetStringAsync("/api/v1/teepods", TestContext.Current.CancellationToken));

        await Json.AssertValidationAsync(await _admin.PostAsync("/api/v1/teepods/preflight", null, TestContext.Current.CancellationToken));
        await Json.AssertValidationAsync(await _admin.PostAsync("/api/v1/teepods/preflight?endpoint=gopher://x", null, TestContext.Current.CancellationToken));

        await _sim.GoDownAsync();
        await Json.AssertDetailAsync(await _admin.PostAsync($"/api/v1/teepods/preflight?endpoint={Uri.EscapeDataString(SimEndpoint)}", null, TestContext.Current.CancellationToken), HttpStatusCode.BadGateway);
        await _sim.ComeBackAsync();

        await using var bare = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, Images = [] });
        var noImages = await _admin.PostAsync($"/api/v1/teepods/preflight?endpoint={Uri.EscapeDataString(bare.BaseUrl.ToString())}", null, TestContext.Current.CancellationToken);
        Assert.Contains("no guest OS images", await Json.AssertDetailAsync(noImages, HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task Updates_are_partial_and_disabled_teepods_are_hidden_from_users()
    {
        var id = (await RegisterOkAsync()).GetProperty("id").GetInt64();
        await using var other = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 });
        await RegisterAsync("tdx-2", other.BaseUrl.ToString().TrimEnd('/'));

        var renamed = await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"name": "tdx-one"}"""), TestContext.Current.CancellationToken);
        var body = await Json.ReadAsync(renamed);
        Assert.Equal("tdx-one", body.GetProperty("name").GetString());
        Assert.True(body.GetProperty("enabled").GetBoolean());

        var disabled = await Json.ReadAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"enabled": false}"""), TestContext.Current.CancellationToken));
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        Assert.Equal("tdx-one", disabled.GetProperty("name").GetString());

        using var user = await _app.UserClientAsync();
        var seen = await Json.ReadAsync(await user.GetAsync("/api/v1/teepods", TestContext.Current.CancellationToken));
        Assert.Equal(["tdx-2"], seen.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var all = await Json.ReadAsync(await _admin.GetAsync("/api/v1/teepods", TestContext.Current.CancellationToken));
        Assert.Equal(2, all.GetArrayLength());

        await Json.AssertDetailAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"name": "tdx-2"}"""), TestContext.Current.CancellationToken), HttpStatusCode.Conflict);
        await Json.AssertDetailAsync(await _admin.PutAsync("/api/v1/teepods/999", Json.Body("""{"enabled": true}"""), TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await Json.AssertValidationAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"name": "bad/name"}"""), TestContext.Current.CancellationToken));
        await Json.AssertValidationAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"enabled": "yes"}"""), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Available_offers_room_per_teepod_to_users_with_credit()
    {
        var id = (await RegisterOkAsync()).GetProperty("id").GetInt64();
        var token = await _app.CreateTokenAsync("paula");
        using var user = _app.Client(token, apiKeyHeader: true);

        var broke = await Json.ReadAsync(await user.GetAsync("/api/v1/teepods/available", TestContext.Current.CancellationToken));
        Assert.Equal("FREE", broke.GetProperty("tier").GetString());
        Assert.Equal(0, broke.GetProperty("nodes").GetArrayLength());
        Assert.Equal(2, broke.GetProperty("capacity").GetProperty("max_vcpu").GetInt32());
        Assert.Equal("local-kms", broke.GetProperty("kms_list")[0].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, broke.GetProperty("kms_list")[0].GetProperty("slug").ValueKind);
        Assert.Equal(JsonValueKind.Null, broke.GetProperty("kms_list")[0].GetProperty("chain_id").ValueKind);

        await new UserStore(_app.Db).SetCreditsAsync("paula", 10m);
        var body = await Json.ReadAsync(await user.GetAsync("/api/v1/teepods/available", TestContext.Current.CancellationToken));
        var node = Assert.Single(body.GetProperty("nodes").EnumerateArray());
        Assert.Equal(id, node.GetProperty("teepod_id").GetInt64());

        var vms = _sim.State.ListVms().Where(v => !v.Removing).ToList();
        var started = vms.Where(v => v.Started || v.Running).ToList();
        Assert.Equal(1000 - vms.Count, node.GetProperty("remaining_cvm_slots").GetInt64());
        Assert.Equal(Math.Max(0, 20 - started.Sum(v => (long)v.Vcpu)), node.GetProperty("remaining_vcpu").GetInt64());
        Assert.Equal(Math.Max(0, 100000 - started.Sum(v => (long)v.Memory)), node.GetProperty("remaining_memory").GetInt64());
        Assert.InRange(node.GetProperty("resource_score").GetDouble(), 0, 100);

        var images = node.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(["dstack-0.5.5", "dstack-dev-0.5.5"], images.Select(i => i.GetProperty("name").GetString()).Order());
        Assert.All(images, i => Assert.Equal([0, 5, 5], i.GetProperty("version").EnumerateArray().Select(n => n.GetInt32())));
        Assert.Contains(images, i => i.GetProperty("is_dev").GetBoolean());
        Assert.Equal(["local-kms"], node.GetProperty("kms_list").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Unlisted_and_offline_teepods_are_not_offered_to_users()
    {
        var id = (await RegisterOkAsync()).GetProperty("id").GetInt64();
        await new UserStore(_app.Db).SetCreditsAsync("admin", 0m);
        var token = await _app.CreateTokenAsync("quinn");
        await new UserStore(_app.Db).SetCreditsAsync("quinn", 5m);
        using var user = _app.Client(token);

        await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"listed": false}"""), TestContext.Current.CancellationToken);
        Assert.Equal(0, (await Json.ReadAsync(await user.GetAsync("/api/v1/teepods/available", TestContext.Current.CancellationToken))).GetProperty("nodes").GetArrayLength());
        var adminView = await Json.ReadAsync(await _admin.GetAsync("/api/v1/teepods/available", TestContext.Current.CancellationToken));
        Assert.False(Assert.Single(adminView.GetProperty("nodes").EnumerateArray()).GetProperty("listed").GetBoolean());

        await _sim.GoDownAsync();
        await Pinger.PingAllAsync(TestContext.Current.CancellationToken);
        var offline = await Json.ReadAsync(await _admin.GetAsync("/api/v1/teepods/available", TestContext.Current.CancellationToken));
        Assert.Equal(0, offline.GetProperty("nodes").GetArrayLength());
        await _sim.ComeBackAsync();
    }

    private TeepodPinger Pinger => (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;

    [Fact]
    public async Task The_pinger_marks_teepods_offline_and_back_online_and_tracks_their_vms()
    {
        var id = (await RegisterOkAsync()).GetProperty("id").GetInt64();
        var store = new TeepodStore(_app.Db);
        var before = (await store.FindAsync(id))!;

        await _sim.GoDownAsync();
        await Pinger.PingAllAsync(TestContext.Current.CancellationToken);
        var down = (await store.FindAsync(id))!;
        Assert.Equal(TeepodStatus.Offline, down.Status);
        Assert.Contains("unreachable", down.LastError);
        Assert.Equal(before.LastSeenAt, down.LastSeenAt);
        var seen = await Json.ReadAsync(await _admin.GetAsync($"/api/v1/teepods/{id}", TestContext.Current.CancellationToken));
        Assert.Equal("offline", seen.GetProperty("status").GetString());

        await _sim.ComeBackAsync();
        _sim.State.AddVm(new Teehouse.Lite.Simulator.Vms.VmSpec { Name = "out-of-band", Vcpu = 3, Memory = 3072, ComposeFile = "{\"manifest_version\":2,\"name\":\"oob\",\"runner\":\"docker-compose\"}" });
        await Pinger.PingAllAsync(TestContext.Current.CancellationToken);
        var up = (await store.FindAsync(id))!;
        Assert.Equal(TeepodStatus.Online, up.Status);
        Assert.Null(up.LastError);
        Assert.Equal(before.VmCount + 1, up.VmCount);
        Assert.Equal(before.UsedVcpu + 3, up.UsedVcpu);
    }

    [Fact]
    public async Task A_teepod_behind_vmm_auth_needs_its_token()
    {
        // Only dstack's unreleased next guards /prpc with [auth]; released vmms would register without a token.
        await using var locked = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Port = 0, AuthEnabled = true, Tokens = ["s3cret-token"], VmmVersion = "next",
        });
        var endpoint = locked.BaseUrl.ToString().TrimEnd('/');
        var refused = await _admin.PostAsync("/api/v1/teepods", Json.Body($$"""{"name": "locked", "endpoint": "{{endpoint}}"}"""), TestContext.Current.CancellationToken);
        Assert.Contains("credentials", await Json.AssertDetailAsync(refused, HttpStatusCode.BadGateway));

        var ok = await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "locked", "endpoint": "{{endpoint}}", "auth_token": "s3cret-token"}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var text = await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("s3cret-token", text);
        Assert.True(await Pinger.PingAsync((await new TeepodStore(_app.Db).ListAsync(true)).Single(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_oversized_body_is_413_json()
    {
        var huge = "{\"name\": \"" + new string('x', 2 * 1024 * 1024) + "\"}";
        var response = await _admin.PostAsync("/api/v1/teepods", Json.Body(huge), TestContext.Current.CancellationToken);
        Assert.Equal("Request body too large", await Json.AssertDetailAsync(response, HttpStatusCode.RequestEntityTooLarge));
    }
}
