using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Tests.Infrastructure.Dstack;

namespace Teehouse.Lite.Tests.Releases;

/// <summary>One test per row of the release table (reference/dstack-versions.md): what used to break, and where.</summary>
public sealed class ReleaseDifferenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";
    private const string NewCompose = "services:\n  web:\n    image: nginx:1.29\n";

    [Fact]
    public async Task A_03_teepod_is_refused_naming_the_minimum_version()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, VmmVersion = "0.3.6" });
        await using var app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        using var admin = await app.AdminClientAsync();
        var response = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "old", "endpoint": "{{sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        var detail = await Json.AssertDetailAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("0.3.6", detail);
        Assert.Contains("0.4.2 or newer", detail);
        Assert.Empty(await Json.ReadAsync(await admin.GetAsync("/api/v1/teepods", Ct)) is var list ? list.EnumerateArray() : default);
    }

    [Fact]
    public async Task A_release_older_than_042_is_refused()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, VmmVersion = "0.4.2", Version = "0.4.1" });
        await using var app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        using var admin = await app.AdminClientAsync();
        var detail = await Json.AssertDetailAsync(await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "old", "endpoint": "{{sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct), HttpStatusCode.Conflict);
        Assert.Contains("0.4.1", detail);
        Assert.Contains("0.4.2", detail);
    }

    [Fact]
    public async Task A_042_host_with_a_gpu_vm_registers_and_lists_it()
    {
        await using var stage = await ReleaseStage.StartAsync("0.4.2", o => o.GpuEnabled = true);
        // A VM created on the host by other means, with 0.4.2's list-shaped gpus.
        using var http = new HttpClient();
        var created = await http.PostAsync(new Uri(stage.Sim.BaseUrl, "prpc/CreateVm?json"), new StringContent($$"""
            {"name": "gpu-vm", "image": "dstack-0.5.5", "compose_file": "{{JsonEncodedText.Encode(
                $$"""{"manifest_version":2,"name":"gpu-vm","runner":"docker-compose","docker_compose_file":"{{JsonEncodedText.Encode(Compose)}}","kms_enabled":false}""")}}",
             "vcpu": 1, "memory": 1024, "disk_size": 10, "gpus": [{"slot": "18:00.0"}]}
            """, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        using (var status = JsonDocument.Parse(await (await http.PostAsync(new Uri(stage.Sim.BaseUrl, "prpc/Status?json"),
                   new StringContent("{}", Encoding.UTF8, "application/json"), Ct)).Content.ReadAsStringAsync(Ct)))
        {
            Assert.Equal(JsonValueKind.Array, status.RootElement.GetProperty("vms")[0].GetProperty("configuration").GetProperty("gpus").ValueKind);
        }

        await ((Teehouse.Lite.Fleet.TeepodPinger)stage.App.App.Services.GetService(typeof(Teehouse.Lite.Fleet.TeepodPinger))!).PingAllAsync(Ct);
        var teepod = await Json.ReadAsync(await stage.Admin.GetAsync($"/api/v1/teepods/{stage.TeepodId}", Ct));
        Assert.Equal("online", teepod.GetProperty("status").GetString());
        var hosted = await stage.Admin.GetStringAsync($"/api/v1/teepods/{stage.TeepodId}/cvms", Ct);
        Assert.Contains("gpu-vm", hosted);
    }

    [Theory]
    [InlineData("0.5.5")]
    [InlineData("0.5.11")]
    [InlineData("next")]
    public async Task Logs_of_a_vm_gone_behind_our_back_are_a_404_not_a_log(string version)
    {
        await using var stage = await ReleaseStage.StartAsync(version);
        var vmUuid = await DeployAsync(stage, kms: true);
        await RemoveBehindOurBackAsync(stage, vmUuid);
        using var logs = await stage.User.GetAsync($"/api/v1/cvms/{vmUuid}/logs?ch=serial", Ct);
        Assert.Equal(HttpStatusCode.NotFound, logs.StatusCode);
        Assert.StartsWith("application/json", logs.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task A_multi_line_error_keeps_its_first_line_in_the_detail_and_all_of_it_in_the_log()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(400,
            """{"error": "Failed to remove VM\n\nCaused by:\n    0: Failed to remove VM directory: /var/vm/x\n    1: No such file or directory (os error 2)"}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(server.BaseUrl).ForVersion("0.5.7").RemoveVmAsync("x", Ct));
        Assert.DoesNotContain("\n", e.FullDetail);
        Assert.DoesNotContain("Caused by", e.FullDetail);
        Assert.EndsWith("RemoveVm failed: Failed to remove VM", e.FullDetail);
        Assert.DoesNotContain("\n", e.PublicDetail);
        Assert.Contains("No such file or directory (os error 2)", e.LogDetail);
    }

    [Fact]
    public async Task A_non_kms_compose_change_on_an_image_before_056_is_refused()
    {
        await using var stage = await ReleaseStage.StartAsync("0.5.5");
        var vmUuid = await DeployAsync(stage, kms: false);
        var before = stage.Sim.State.GetVm(vmUuid)!.ComposeFile;
        var refused = await stage.PatchAsync(vmUuid, $$"""{"docker_compose_file": "{{JsonEncodedText.Encode(NewCompose)}}"}""");
        var detail = await Json.AssertDetailAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains("without a KMS", detail);
        Assert.Equal(before, stage.Sim.State.GetVm(vmUuid)!.ComposeFile);
        await using var c = await stage.App.Db.OpenAsync();
        Assert.Equal(ReleaseLifecycleTests.Sha256(before),
            await c.ExecuteScalarAsync<string?>("SELECT compose_hash FROM cvms WHERE vm_uuid = @vmUuid", new { vmUuid }));
    }

    [Fact]
    public async Task A_non_kms_compose_change_on_a_058_image_reports_the_app_id_the_guest_will_attest()
    {
        await using var stage = await ReleaseStage.StartAsync("0.5.11",
            o => o.Images = [new SimImage { Name = "dstack-0.5.8", Version = "0.5.8" }]);
        var vmUuid = await DeployAsync(stage, kms: false);
        var appId = stage.Sim.State.GetVm(vmUuid)!.AppId;
        var patched = await stage.PatchAsync(vmUuid, $$"""{"docker_compose_file": "{{JsonEncodedText.Encode(NewCompose)}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        var body = await Json.ReadAsync(patched);
        var attested = body.GetProperty("compose_hash").GetString()![..40];
        Assert.NotEqual(appId, attested);
        Assert.Contains($"attest app id {attested}", body.GetProperty("message").GetString());
        Assert.Equal(appId, stage.Sim.State.GetVm(vmUuid)!.AppId); // ours, and the vmm's, stay the app's identity
    }

    [Fact]
    public async Task A_resize_refused_by_the_vmm_leaves_the_compose_as_it_was()
    {
        // UpdateVm writes the compose before its "must be stopped" check: resources go first, alone.
        await using var stage = await ReleaseStage.StartAsync("0.5.11");
        var vmUuid = await DeployAsync(stage, kms: true);
        var before = stage.Sim.State.GetVm(vmUuid)!.ComposeFile;
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var vmm = factory.Vmm(stage.Sim.BaseUrl.ToString()).ForVersion("0.5.11");
        await Assert.ThrowsAsync<DstackException>(() => vmm.ApplyUpdateAsync(new UpdateVmRequest
        {
            Id = vmUuid, Vcpu = 3, ComposeFile = before.Replace("nginx:1.27", "nginx:1.29"),
        }, Ct));
        Assert.Equal(before, stage.Sim.State.GetVm(vmUuid)!.ComposeFile);
    }

    /// <summary>The operator removes the VM with the vmm's own API (stop first: up to 0.5.6 a running VM is refused).</summary>
    private static async Task RemoveBehindOurBackAsync(ReleaseStage stage, string vmUuid)
    {
        using var http = new HttpClient();
        foreach (var method in new[] { "StopVm", "RemoveVm" })
        {
            var answer = await http.PostAsync(new Uri(stage.Sim.BaseUrl, $"prpc/{method}?json"),
                new StringContent($$"""{"id": "{{vmUuid}}"}""", Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        for (var i = 0; i < 100 && stage.Sim.State.GetVm(vmUuid) is not null; i++) await Task.Delay(50, Ct);
        Assert.Null(stage.Sim.State.GetVm(vmUuid));
    }

    private static async Task<string> DeployAsync(ReleaseStage stage, bool kms)
    {
        var image = stage.Sim.State.Options.Images[0].Name;
        var provision = await stage.OkAsync(await stage.User.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "difference", "instance_type": "tdx.small", "image": "{{image}}",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "difference", "kms_enabled": {{(kms ? "true" : "false")}}} }
            """), Ct));
        var committed = await stage.User.PostAsync("/api/v1/cvms", Json.Body(
            $$"""{"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        var vmUuid = (await Json.ReadAsync(committed)).GetProperty("vm_uuid").GetString()!;
        await stage.WaitStatusAsync(vmUuid, "running");
        return vmUuid;
    }
}
