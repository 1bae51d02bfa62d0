using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Releases;

/// <summary>
/// Deploy → update → resize → power → logs → delete, through the API, against the simulator set to each dstack-vmm
/// release self-hosters run (and next): the same answers to the user whatever the host runs underneath.
/// </summary>
public sealed class ReleaseLifecycleTests
{
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";
    private const string NewCompose = "services:\n  web:\n    image: nginx:1.29\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Versions => new("0.4.2", "0.5.5", "0.5.6", "0.5.11", "next");

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task The_whole_life_cycle_works_on(string version)
    {
        await using var stage = await ReleaseStage.StartAsync(version);
        var sim = stage.Sim;

        // Registered, with the gateway named (0.4.2's has no Info RPC), and the release recorded.
        var teepod = await Json.ReadAsync(await stage.Admin.GetAsync($"/api/v1/teepods/{stage.TeepodId}", Ct));
        Assert.Equal(version == "next" ? "0.6.0" : version, teepod.GetProperty("teepod_version").GetString());
        Assert.Equal("online", teepod.GetProperty("status").GetString());

        // Deploy: the guest is told the KMS and gateway Teehouse chose, not left to the host's defaults.
        var provision = await stage.OkAsync(await stage.User.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "lifecycle", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "lifecycle", "kms_enabled": true,
                              "gateway_enabled": true} }
            """), Ct));
        var appId = provision.GetProperty("app_id").GetString()!;
        var committed = await stage.User.PostAsync("/api/v1/cvms", Json.Body(
            $$"""{"app_id": "{{appId}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        var vmUuid = (await Json.ReadAsync(committed)).GetProperty("vm_uuid").GetString()!;
        var vm = sim.State.GetVm(vmUuid)!;
        // (0.4.2 has no per-VM kms_urls: its guests always use the host's, which is the one chosen here.)
        Assert.Equal(version == "0.4.2" ? [] : [stage.KmsUrl], vm.KmsUrls);
        Assert.Equal(version == "0.4.2" ? [] : [sim.GatewayUrl.ToString().TrimEnd('/')], vm.GatewayUrls);
        await stage.WaitStatusAsync(vmUuid, "running");

        // Compose update (UpdateVm from 0.5.6, UpgradeApp before): applied, app id kept, CVM restarted onto it.
        var patched = await stage.PatchAsync(vmUuid, $$"""{"docker_compose_file": "{{JsonEncodedText.Encode(NewCompose)}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        var hash = (await Json.ReadAsync(patched)).GetProperty("compose_hash").GetString()!;
        Assert.Equal(hash, Sha256(sim.State.GetVm(vmUuid)!.ComposeFile));
        Assert.Equal(appId, sim.State.GetVm(vmUuid)!.AppId);
        await stage.WaitSettledAsync(vmUuid);

        // Resize of a running CVM (ResizeVm before 0.5.6): stopped, resized, started again.
        var resized = await stage.PatchAsync(vmUuid, """{"vcpu": 2, "memory": 3072, "allow_force_stop": true}""");
        Assert.Equal(HttpStatusCode.Accepted, resized.StatusCode);
        Assert.Equal(2u, sim.State.GetVm(vmUuid)!.Vcpu);
        Assert.Equal(3072u, sim.State.GetVm(vmUuid)!.Memory);
        await stage.WaitSettledAsync(vmUuid);

        // Power.
        Assert.Equal(HttpStatusCode.OK, (await stage.User.PostAsync($"/api/v1/cvms/{vmUuid}/stop", null, Ct)).StatusCode);
        await stage.WaitStatusAsync(vmUuid, "stopped");
        Assert.Equal(HttpStatusCode.OK, (await stage.User.PostAsync($"/api/v1/cvms/{vmUuid}/start", null, Ct)).StatusCode);
        await stage.WaitStatusAsync(vmUuid, "running");

        // Logs: a log, and an unknown channel is refused by us before any release can answer it as text.
        using (var logs = await stage.User.GetAsync($"/api/v1/cvms/{vmUuid}/logs?ch=serial&lines=5", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(await logs.Content.ReadAsStringAsync(Ct)));
        }

        // Delete while running (RemoveVm refuses a running VM up to 0.5.6): 204, and the CVM ends up gone.
        var deleted = await stage.User.DeleteAsync($"/api/v1/cvms/{vmUuid}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await stage.WaitGoneAsync(vmUuid);
        Assert.Null(sim.State.GetVm(vmUuid));
        await Json.AssertDetailAsync(await stage.User.GetAsync($"/api/v1/cvms/{vmUuid}", Ct), HttpStatusCode.NotFound);
    }

    internal static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>A simulator at one release, registered as teepod "tdx-1" (with its gateway), and a PRO user with credits.</summary>
internal sealed class ReleaseStage : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public required SimulatorHost Sim { get; init; }
    public required TestApp App { get; init; }
    public required HttpClient Admin { get; init; }
    public required HttpClient User { get; init; }
    public required long TeepodId { get; init; }
    public required string KmsUrl { get; init; }

    public static async Task<ReleaseStage> StartAsync(string version, Action<SimulatorOptions>? simulator = null)
    {
        var options = new SimulatorOptions { Port = 0, VmmVersion = version, ShutdownDelay = TimeSpan.FromMilliseconds(50), RemoveDelay = TimeSpan.FromMilliseconds(50) };
        simulator?.Invoke(options);
        var sim = await SimulatorHost.StartAsync(options);
        var kmsUrl = sim.KmsUrl.ToString().TrimEnd('/');
        var app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Kms.Add(new() { Id = "local-kms", Url = kmsUrl, Version = "0.5.5" });
            c.Tiers["PRO"] = new() { MaxInstances = 10, MaxVcpu = 16 };
        });
        var admin = await app.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods", Json.Body($$"""
            {"name": "tdx-1", "endpoint": "{{sim.BaseUrl.ToString().TrimEnd('/')}}", "tproxy_endpoint": "{{sim.GatewayUrl.ToString().TrimEnd('/')}}"}
            """), Ct);
        Assert.True(registered.IsSuccessStatusCode, $"registration on {version}: {await registered.Content.ReadAsStringAsync(Ct)}");
        var teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
        var user = app.Client(await app.CreateTokenAsync("dana"), apiKeyHeader: true);
        await new UserStore(app.Db).SetCreditsAsync("dana", 50m);
        await new UserStore(app.Db).SetTierAsync("dana", "PRO");
        return new ReleaseStage { Sim = sim, App = app, Admin = admin, User = user, TeepodId = teepodId, KmsUrl = kmsUrl };
    }

    /// <summary>The JSON of a 2xx answer; anything else fails the test with the answer's body.</summary>
    public async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public Task<HttpResponseMessage> PatchAsync(string vmUuid, string json) =>
        User.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/cvms/{vmUuid}") { Content = Json.Body(json) }, Ct);

    public async Task WaitStatusAsync(string vmUuid, string status)
    {
        for (var i = 0; i < 200; i++)
        {
            if (Sim.State.GetVm(vmUuid)?.Status == status) return;
            await Task.Delay(50, Ct);
        }
        Assert.Fail($"VM {vmUuid} did not become {status} (is {Sim.State.GetVm(vmUuid)?.Status})");
    }

    /// <summary>Running again, and no graceful restart of ours still waiting for it.</summary>
    public async Task WaitSettledAsync(string vmUuid)
    {
        for (var i = 0; i < 200; i++)
        {
            await using var c = await App.Db.OpenAsync();
            var inProgress = await c.ExecuteScalarAsync<long>("SELECT in_progress FROM cvms WHERE vm_uuid = @vmUuid", new { vmUuid });
            if (Sim.State.GetVm(vmUuid)?.Status == "running" && inProgress == 0) return;
            await Task.Delay(50, Ct);
        }
        Assert.Fail($"VM {vmUuid} did not settle (is {Sim.State.GetVm(vmUuid)?.Status})");
    }

    /// <summary>Gone at the vmm, and recorded as gone (at once on releases that remove synchronously, else by the ping).</summary>
    public async Task WaitGoneAsync(string vmUuid)
    {
        for (var i = 0; i < 200; i++)
        {
            if (Sim.State.GetVm(vmUuid) is null) break;
            await Task.Delay(50, Ct);
        }
        await ((Teehouse.Lite.Fleet.TeepodPinger)App.App.Services.GetService(typeof(Teehouse.Lite.Fleet.TeepodPinger))!).PingAllAsync(Ct);
        await using var c = await App.Db.OpenAsync();
        Assert.Equal("gone", await c.ExecuteScalarAsync<string?>("SELECT status FROM cvms WHERE vm_uuid = @vmUuid", new { vmUuid }));
    }

    public async ValueTask DisposeAsync()
    {
        User.Dispose();
        Admin.Dispose();
        await App.DisposeAsync();
        await Sim.DisposeAsync();
    }
}
