using System.Net;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// The simulator's version profiles: which release it claims to be, which methods exist, how unknown methods and
/// chained errors are answered. Each test pins the answer of one release and contrasts it with a release that differs.
/// </summary>
public sealed class SimulatorProfileTests
{
    [Fact]
    public async Task By_default_it_is_the_newest_release_and_next_reports_0_6_0()
    {
        await using (var host = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 }))
        {
            using var http = new HttpClient { BaseAddress = host.BaseUrl };
            using var response = await http.PostAsync("prpc/Version?json", new StringContent("{}"));
            var version = (await Reply.ReadAsync(response)).Json;
            Assert.Equal("0.5.11", version.GetProperty("version").GetString());
            Assert.Equal("git:40eaf35e6b3f112998d0", version.GetProperty("rev").GetString());
            Assert.Equal("v0.5.11 (git:40eaf35e6b3f112998d0)", response.Headers.GetValues("X-App-Version").Single());
        }

        await using var next = await ProfileSim.StartAsync("next");
        Assert.Equal("0.6.0", (await next.CallAsync("Version")).Json.GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("0.4.2", "git:08cd5bb869950007f050")]
    [InlineData("0.5.5", "git:7bf1843a8ddf877fbaeb")]
    [InlineData("0.5.6", "git:3a456dd6e332509f97e7")]
    public async Task Version_answers_the_profiles_release_unless_overridden(string profile, string rev)
    {
        await using (var sim = await ProfileSim.StartAsync(profile))
        {
            var version = (await sim.CallAsync("Version")).Json;
            Assert.Equal(profile, version.GetProperty("version").GetString());
            Assert.Equal(rev, version.GetProperty("rev").GetString());
        }

        await using var custom = await ProfileSim.StartAsync(profile, o => o.Version = "9.9.9");
        Assert.Equal("9.9.9", (await custom.CallAsync("Version")).Json.GetProperty("version").GetString());
    }

    [Fact]
    public async Task An_unknown_profile_is_a_startup_error()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => SimulatorHost.StartAsync(new SimulatorOptions { VmmVersion = "0.5.99" }));
        Assert.Contains("unknown dstack-vmm version profile '0.5.99'", e.Message);
        Assert.Contains("0.5.11", e.Message);
        Assert.Equal(2, await SimulatorProgram.Main(["--vmm-version", "0.5.99"]));
    }

    [Fact]
    public async Task UpdateVm_is_an_unknown_service_on_0_5_5_and_works_from_0_5_6()
    {
        await using (var old = await ProfileSim.StartAsync("0.5.5"))
        {
            var id = old.AddVm("stopped");
            var reply = await old.CallAsync("UpdateVm", $$"""{"id":"{{id}}","user_config":"x"}""");
            Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
            Assert.Equal("application/json", reply.ContentType);
            Assert.Equal("Service not found: UpdateVm", reply.Error);
            Assert.Equal("", old.Host.State.GetVm(id)!.UserConfig);
            Assert.Equal("Service not found: ReloadVms", (await old.CallAsync("ReloadVms")).Error);
        }

        await using var sim = await ProfileSim.StartAsync("0.5.6");
        var vm = sim.AddVm("stopped");
        var ok = await sim.CallAsync("UpdateVm", $$"""{"id":"{{vm}}","user_config":"x","vcpu":4}""");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal("x", sim.Host.State.GetVm(vm)!.UserConfig);
        Assert.Equal(4u, sim.Host.State.GetVm(vm)!.Vcpu);
        Assert.Equal(HttpStatusCode.OK, (await sim.CallAsync("ReloadVms")).Status);
    }

    [Fact]
    public async Task GetComposeHash_is_missing_on_0_4_2_only()
    {
        await using (var old = await ProfileSim.StartAsync("0.4.2"))
        {
            Assert.Equal("Service not found: GetComposeHash", (await old.CallAsync("GetComposeHash", ProfileSim.CreateBody("h"))).Error);
        }

        await using var sim = await ProfileSim.StartAsync("0.5.5");
        var hash = (await sim.CallAsync("GetComposeHash", ProfileSim.CreateBody("h"))).Json.GetProperty("hash").GetString();
        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    [Fact]
    public async Task Teepod_0_3_6_needs_the_service_name_and_answers_unknown_methods_with_404()
    {
        await using (var teepod = await ProfileSim.StartAsync("0.3.6"))
        {
            var bare = await teepod.CallAsync("Version");
            Assert.Equal(HttpStatusCode.NotFound, bare.Status);
            Assert.Equal("{\n  \"error\": \"method Not Found\"\n}", bare.Body);
            Assert.Equal("application/octet-stream", bare.ContentType);

            var named = await teepod.CallAsync("Teepod.Version");
            Assert.Equal(HttpStatusCode.OK, named.Status);
            Assert.Equal("0.3.6", named.Json.GetProperty("version").GetString());
            Assert.Equal(HttpStatusCode.NotFound, (await teepod.CallAsync("KMS.NoSuchMethod", mount: "kms/prpc")).Status);
        }

        // 0.4.2 trims the old name and accepts the bare one.
        await using var vmm = await ProfileSim.StartAsync("0.4.2");
        Assert.Equal("0.4.2", (await vmm.CallAsync("Version")).Json.GetProperty("version").GetString());
        Assert.Equal("0.4.2", (await vmm.CallAsync("Teepod.Version")).Json.GetProperty("version").GetString());
        var unknown = await vmm.CallAsync("NoSuchMethod");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal("Service not found: NoSuchMethod", unknown.Error);
    }

    [Fact]
    public async Task Chained_errors_are_multi_line_up_to_0_5_5_and_one_line_from_0_5_6()
    {
        const string id = "00000000-0000-4000-8000-000000000000";
        const string file = $"`/home/dstack/.dstack-vmm/vm/{id}/vm-manifest.json`: No such file or directory (os error 2)";
        await using (var old = await ProfileSim.StartAsync("0.5.5"))
        {
            var reply = await old.CallAsync("StartVm", $$"""{"id":"{{id}}"}""");
            Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
            Assert.Equal(
                "Failed to start VM\n\nCaused by:\n    0: Failed to read manifest\n    1: Failed to read manifest\n    2: failed to open file " + file,
                reply.Error);
            // A single cause is indented but not numbered.
            Assert.Equal("Failed to load VM\n\nCaused by:\n    Invalid image name",
                (await old.CallAsync("CreateVm", ProfileSim.CreateBody("x").Replace("dstack-0.5.5", "../etc", StringComparison.Ordinal))).Error);
            // An error without context is the same in both styles.
            Assert.Equal("vm not found", (await old.CallAsync("ShutdownVm", $$"""{"id":"{{id}}"}""")).Error);
        }

        await using var sim = await ProfileSim.StartAsync("0.5.6");
        Assert.Equal("Failed to start VM: Failed to read manifest: Failed to read manifest: failed to open file " + file,
            (await sim.CallAsync("StartVm", $$"""{"id":"{{id}}"}""")).Error);
    }

    [Fact]
    public async Task Only_next_checks_vm_ids()
    {
        await using (var released = await ProfileSim.StartAsync("0.5.11"))
        {
            Assert.StartsWith("Failed to stop VM: Failed to set started: Failed to write state: failed to create file `/home/dstack/.dstack-vmm/vm/bad id!/vm-state.json`",
                (await released.CallAsync("StopVm", """{"id":"bad id!"}""")).Error);
        }

        await using var next = await ProfileSim.StartAsync("next");
        Assert.Equal("Failed to stop VM: invalid VM id", (await next.CallAsync("StopVm", """{"id":"bad id!"}""")).Error);
    }
}
