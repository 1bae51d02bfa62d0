using System.Net;
using System.Text.Json;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>Version profiles of message shapes: which fields each release's proto has, as serde writes them.</summary>
public sealed class SimulatorProfileWireTests
{
    // Field names by the release that introduced them (vmm_rpc.proto at each tag).
    private static readonly string[] ConfigFields042 =
        ["name", "image", "compose_file", "vcpu", "memory", "disk_size", "ports", "encrypted_env", "app_id", "user_config", "hugepages", "pin_numa", "gpus"];

    private static readonly string[] InfoFields042 =
        ["id", "name", "status", "uptime", "app_url", "app_id", "instance_id", "configuration", "exited_at", "boot_progress", "boot_error", "shutdown_progress", "image_version"];

    [Theory]
    [InlineData("0.4.2", "", "")]
    [InlineData("0.5.5", "kms_urls gateway_urls stopped", "")]
    [InlineData("0.5.6", "kms_urls gateway_urls stopped no_tee networking", "events")]
    [InlineData("0.5.11", "kms_urls gateway_urls stopped no_tee networking", "events")]
    [InlineData("next", "kms_urls gateway_urls stopped no_tee networking networks simulated_tee", "events interfaces")]
    public async Task VmInfo_and_its_configuration_carry_exactly_the_releases_fields(string profile, string configAdded, string infoAdded)
    {
        await using var sim = await ProfileSim.StartAsync(profile);
        var id = sim.AddVm(VmStatus.Running);
        var info = (await sim.CallAsync("GetInfo", $$"""{"id":"{{id}}"}""")).Json.GetProperty("info");
        Assert.Equal([.. InfoFields042, .. Words(infoAdded)], Names(info));
        Assert.Equal([.. ConfigFields042, .. Words(configAdded)], Names(info.GetProperty("configuration")));

        var status = (await sim.CallAsync("Status", """{"brief":true}""")).Json;
        Assert.Equal(["vms", "port_mapping_enabled", "total"], Names(status)); // total since 0.4.2
        Assert.Equal(JsonValueKind.Null, status.GetProperty("vms")[0].GetProperty("configuration").ValueKind);
    }

    [Fact]
    public async Task GetMeta_has_max_disk_size_on_0_4_2_and_networking_only_on_next()
    {
        await using (var old = await ProfileSim.StartAsync("0.4.2"))
        {
            var meta = (await old.CallAsync("GetMeta")).Json;
            Assert.Equal(["kms", "gateway", "resources"], Names(meta));
            Assert.Equal(500, meta.GetProperty("resources").GetProperty("max_disk_size_in_gb").GetInt32());
            Assert.Equal(["gpus"], Names((await old.CallAsync("ListGpus")).Json));
        }

        await using (var released = await ProfileSim.StartAsync("0.5.11"))
        {
            var meta = (await released.CallAsync("GetMeta")).Json;
            Assert.Equal(["kms", "gateway", "resources"], Names(meta));
            Assert.Equal(["max_cvm_number", "max_allocable_vcpu", "max_allocable_memory_in_mb"], Names(meta.GetProperty("resources")));
            Assert.Equal(["gpus", "allow_attach_all"], Names((await released.CallAsync("ListGpus")).Json));
        }

        await using var next = await ProfileSim.StartAsync("next");
        Assert.Equal(["kms", "gateway", "resources", "networking"], Names((await next.CallAsync("GetMeta")).Json));
    }

    [Fact]
    public async Task Released_logs_answer_200_with_text_and_next_answers_404_and_400()
    {
        const string unknown = "logs?id=00000000-0000-4000-8000-000000000000&follow=false&ansi=false";
        await using (var released = await ProfileSim.StartAsync("0.5.11"))
        {
            var missing = await released.GetAsync(unknown);
            Assert.Equal(HttpStatusCode.OK, missing.Status);
            Assert.Equal("", missing.Body); // `tail` finds no file, prints nothing on stdout and exits
            var channel = await released.GetAsync(unknown + "&ch=console");
            Assert.Equal(HttpStatusCode.OK, channel.Status);
            Assert.Equal("Unknown channel console", channel.Body);
            var id = released.AddVm(VmStatus.Running);
            Assert.Contains("Linux version", (await released.GetAsync($"logs?id={id}&follow=false&ansi=false")).Body);
        }

        await using var next = await ProfileSim.StartAsync("next");
        var notFound = await next.GetAsync(unknown);
        Assert.Equal((HttpStatusCode.NotFound, "VM not found"), (notFound.Status, notFound.Body));
        var vm = next.AddVm(VmStatus.Running);
        var badChannel = await next.GetAsync($"logs?id={vm}&follow=false&ansi=false&ch=console");
        Assert.Equal((HttpStatusCode.BadRequest, "Unknown channel console"), (badChannel.Status, badChannel.Body));
    }

    [Fact]
    public async Task Released_auth_guards_only_logs_with_an_exact_bearer_header()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.11", o => { o.AuthEnabled = true; o.Tokens = ["tok"]; });
        var id = sim.AddVm(VmStatus.Running);
        var logs = $"logs?id={id}&follow=false&ansi=false";

        Assert.Equal(HttpStatusCode.OK, (await sim.CallAsync("Status")).Status); // /prpc has no guard
        var anonymous = await sim.GetAsync(logs);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("text/html", anonymous.ContentType);
        Assert.Contains("<h1>401: Unauthorized</h1>", anonymous.Body);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sim.GetAsync(logs, "bearer tok")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sim.GetAsync(logs, "Bearer  tok")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sim.GetAsync(logs + "&token=tok")).Status);
        Assert.Equal(HttpStatusCode.OK, (await sim.GetAsync(logs, "Bearer tok")).Status);

        await using var next = await ProfileSim.StartAsync("next", o => { o.AuthEnabled = true; o.Tokens = ["tok"]; });
        var refused = await next.CallAsync("Status");
        Assert.Equal((HttpStatusCode.Unauthorized, ""), (refused.Status, refused.Body));
        Assert.Equal(HttpStatusCode.OK, (await next.GetAsync($"logs?id={next.AddVm(VmStatus.Running)}&follow=false&ansi=false&token=tok")).Status);
    }

    [Fact]
    public async Task Gateway_Info_appears_in_0_5_4_and_reports_its_version_from_0_5_6()
    {
        await using (var old = await ProfileSim.StartAsync("0.4.2"))
        {
            Assert.Equal("Service not found: Info", (await old.CallAsync("Info", mount: "gateway/prpc")).Error);
        }

        await using (var sim = await ProfileSim.StartAsync("0.5.5"))
        {
            Assert.Equal(["base_domain", "external_port", "app_address_ns_prefix"], Names((await sim.CallAsync("Tproxy.Info", mount: "gateway/prpc")).Json));
        }

        await using var newer = await ProfileSim.StartAsync("0.5.6");
        Assert.Equal("0.5.6", (await newer.CallAsync("Info", mount: "gateway/prpc")).Json.GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("0.4.2", "https://abc-8090.localhost:443", "https://abc-8090.localhost:443")]
    [InlineData("0.5.5", "https://abc-8090.localhost", "https://abc-8090.localhost")]
    [InlineData("0.5.6", "https://abc-8090.localhost", "https://abc-8090.gw.example:9443")]
    public async Task App_url_follows_each_releases_rules(string profile, string plain, string withVmGateway)
    {
        await using var sim = await ProfileSim.StartAsync(profile, o => o.GatewayPort = 443);
        var compose = ProfileSim.Compose("g").Replace("\"gateway_enabled\":false", "\"gateway_enabled\":true", StringComparison.Ordinal);
        var a = sim.Host.State.AddVm(new VmSpec { Name = "a", ComposeFile = compose, InstanceId = "abc" });
        var b = sim.Host.State.AddVm(new VmSpec { Name = "b", ComposeFile = compose, InstanceId = "abc", GatewayUrls = ["https://gw.example:9443"] });
        Assert.Equal(plain, await AppUrlAsync(sim, a));
        Assert.Equal(withVmGateway, await AppUrlAsync(sim, b));
    }

    private static async Task<string?> AppUrlAsync(ProfileSim sim, string id) =>
        (await sim.CallAsync("GetInfo", $$"""{"id":"{{id}}"}""")).Json.GetProperty("info").GetProperty("app_url").GetString();

    private static string[] Words(string words) => words.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    internal static string[] Names(JsonElement obj) => obj.EnumerateObject().Select(p => p.Name).ToArray();
}
