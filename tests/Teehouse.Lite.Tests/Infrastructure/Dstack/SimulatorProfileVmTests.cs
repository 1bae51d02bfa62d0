using System.Net;
using System.Text.Json;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>Version profiles of the VM lifecycle RPCs: RemoveVm, UpgradeApp, ResizeVm, CreateVm's inputs.</summary>
public sealed class SimulatorProfileVmTests
{
    private const string Unknown = "00000000-0000-4000-8000-000000000000";

    [Fact]
    public async Task RemoveVm_refuses_a_running_vm_and_removes_at_once_up_to_0_5_6()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.6");
        var running = sim.AddVm(VmStatus.Running);
        var refused = await sim.CallAsync("RemoveVm", $$"""{"id":"{{running}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("Failed to remove VM: VM is running, stop it first", refused.Error);
        Assert.Equal(VmStatus.Running, sim.Host.State.GetVm(running)!.Status);

        var stopping = sim.AddVm(VmStatus.Stopping); // the supervisor process still runs
        Assert.Equal(HttpStatusCode.BadRequest, (await sim.CallAsync("RemoveVm", $$"""{"id":"{{stopping}}"}""")).Status);

        var exited = sim.AddVm(VmStatus.Exited);
        Assert.Equal(HttpStatusCode.OK, (await sim.CallAsync("RemoveVm", $$"""{"id":"{{exited}}"}""")).Status);
        Assert.Null(sim.Host.State.GetVm(exited)); // synchronous: gone before the call returned
        Assert.False((await sim.CallAsync("GetInfo", $$"""{"id":"{{exited}}"}""")).Json.GetProperty("found").GetBoolean());
    }

    [Fact]
    public async Task RemoveVm_of_a_running_vm_is_asynchronous_from_0_5_7()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.11");
        var running = sim.AddVm(VmStatus.Running);
        var reply = await sim.CallAsync("RemoveVm", $$"""{"id":"{{running}}"}""");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("null", reply.Body);
        Assert.Equal(VmStatus.Removing, sim.Host.State.GetVm(running)!.Status);
        for (var i = 0; i < 100 && sim.Host.State.GetVm(running) is not null; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Null(sim.Host.State.GetVm(running));
    }

    [Theory]
    [InlineData("0.5.5", "Failed to remove VM\n\nCaused by:\n    0: Failed to remove VM directory\n    1: failed to remove directory `/srv/vm/" + Unknown + "`: No such file or directory (os error 2)")]
    [InlineData("0.5.6", "Failed to remove VM: Failed to remove VM directory: failed to remove directory `/srv/vm/" + Unknown + "`: No such file or directory (os error 2)")]
    [InlineData("0.5.11", "Failed to remove VM: VM not found")]
    public async Task RemoveVm_of_an_unknown_id_fails_as_each_release_does(string profile, string error)
    {
        await using var sim = await ProfileSim.StartAsync(profile, o => o.RunPath = "/srv/vm/");
        var reply = await sim.CallAsync("RemoveVm", $$"""{"id":"{{Unknown}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal(error, reply.Error);
    }

    [Fact]
    public async Task UpgradeApp_on_0_5_5_rewrites_compose_env_config_and_ports_but_not_resources()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.5", o => o.PortMappingEnabled = true);
        var id = sim.AddVm(VmStatus.Running);
        var compose = ProfileSim.Compose("v2");
        var body = $$"""
            {"id":"{{id}}","compose_file":"{{JsonEncodedText.Encode(compose)}}","encrypted_env":"0xABCD","user_config":"cfg",
             "update_ports":true,"ports":[{"protocol":"tcp","host_port":8080,"vm_port":80,"host_address":"127.0.0.1"}],"vcpu":8}
            """;
        var reply = await sim.CallAsync("UpgradeApp", body);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(compose)))[..40],
            reply.Json.GetProperty("id").GetString());

        var vm = sim.Host.State.GetVm(id)!;
        Assert.Equal(VmStatus.Running, vm.Status); // files change on disk; the guest sees them on its next boot
        Assert.Equal(compose, vm.ComposeFile);
        Assert.Equal([0xab, 0xcd], vm.EncryptedEnv);
        Assert.Equal("cfg", vm.UserConfig);
        Assert.Equal(new PortMap("tcp", "127.0.0.1", 8080, 80), Assert.Single(vm.Ports));
        Assert.Equal(1u, vm.Vcpu); // UpgradeAppRequest has no vcpu: serde ignores it
        var config = (await sim.CallAsync("GetInfo", $$"""{"id":"{{id}}"}""")).Json.GetProperty("info").GetProperty("configuration");
        Assert.Equal(compose, config.GetProperty("compose_file").GetString());
        Assert.Equal("abcd", config.GetProperty("encrypted_env").GetString());

        Assert.Equal($"The instance {Unknown} not found",
            (await sim.CallAsync("UpgradeApp", $$"""{"id":"{{Unknown}}","compose_file":"{{JsonEncodedText.Encode(compose)}}"}""")).Error);
    }

    [Fact]
    public async Task UpgradeApp_also_resizes_a_stopped_vm_from_0_5_6()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.6");
        var id = sim.AddVm(VmStatus.Stopped);
        Assert.Equal(HttpStatusCode.OK, (await sim.CallAsync("UpgradeApp", $$"""{"id":"{{id}}","vcpu":8,"memory":4096}""")).Status);
        Assert.Equal(8u, sim.Host.State.GetVm(id)!.Vcpu);
        Assert.Equal(4096u, sim.Host.State.GetVm(id)!.Memory);
    }

    [Fact]
    public async Task ResizeVm_needs_a_stopped_vm_and_changes_its_resources()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.5");
        var running = sim.AddVm(VmStatus.Running);
        Assert.Equal($"vm should be stopped before resize: {running}",
            (await sim.CallAsync("ResizeVm", $$"""{"id":"{{running}}","vcpu":2}""")).Error);
        // ≤0.5.5 checks the state even when nothing would change; 0.5.6+ does not (below).
        Assert.Equal($"vm should be stopped before resize: {running}", (await sim.CallAsync("ResizeVm", $$"""{"id":"{{running}}"}""")).Error);
        Assert.Equal("vm not found", (await sim.CallAsync("ResizeVm", $$"""{"id":"{{Unknown}}","vcpu":2}""")).Error);

        var stopped = sim.AddVm(VmStatus.Stopped);
        var ok = await sim.CallAsync("ResizeVm", $$"""{"id":"{{stopped}}","vcpu":2,"memory":4096,"disk_size":40,"image":"dstack-dev-0.5.5"}""");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        var vm = sim.Host.State.GetVm(stopped)!;
        Assert.Equal((2u, 4096u, 40u, "dstack-dev-0.5.5"), (vm.Vcpu, vm.Memory, vm.DiskSize, vm.Image));
        Assert.Equal("Cannot shrink disk size", (await sim.CallAsync("ResizeVm", $$"""{"id":"{{stopped}}","disk_size":10}""")).Error);

        await using var newer = await ProfileSim.StartAsync("0.5.11");
        var other = newer.AddVm(VmStatus.Running);
        Assert.Equal(HttpStatusCode.OK, (await newer.CallAsync("ResizeVm", $$"""{"id":"{{other}}"}""")).Status);
        Assert.Equal($"failed to read manifest: Failed to read manifest: failed to open file `/home/dstack/.dstack-vmm/vm/{Unknown}/vm-manifest.json`: No such file or directory (os error 2)",
            (await newer.CallAsync("ResizeVm", $$"""{"id":"{{Unknown}}","vcpu":2}""")).Error);

        await using var next = await ProfileSim.StartAsync("next");
        Assert.Equal("resize request contains no updates", (await next.CallAsync("ResizeVm", $$"""{"id":"{{next.AddVm(VmStatus.Stopped)}}"}""")).Error);
    }

    [Fact]
    public async Task On_0_4_2_gpus_are_an_array_of_GpuSpec_in_and_out()
    {
        await using var old = await ProfileSim.StartAsync("0.4.2");
        var asObject = await old.CallAsync("CreateVm", ProfileSim.CreateBody("g", ""","gpus":{"gpus":[],"attach_mode":"listed"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, asObject.Status);
        Assert.Equal("invalid type: map, expected a sequence", asObject.Error);

        var created = await old.CallAsync("CreateVm", ProfileSim.CreateBody("g", ""","gpus":[{"product_id":"10de:2330","slot":"18:00.0"}]"""));
        var id = created.Json.GetProperty("id").GetString();
        var gpus = (await old.CallAsync("GetInfo", $$"""{"id":"{{id}}"}""")).Json.GetProperty("info").GetProperty("configuration").GetProperty("gpus");
        Assert.Equal("""[{"product_id":"10de:2330","slot":"18:00.0"}]""", gpus.GetRawText());
        var status = (await old.CallAsync("Status")).Json.GetProperty("vms")[0].GetProperty("configuration").GetProperty("gpus");
        Assert.Equal(JsonValueKind.Array, status.ValueKind);

        await using var sim = await ProfileSim.StartAsync("0.5.5");
        var vm = sim.AddVm(VmStatus.Stopped);
        var config = (await sim.CallAsync("GetInfo", $$"""{"id":"{{vm}}"}""")).Json.GetProperty("info").GetProperty("configuration");
        Assert.Equal("""{"gpus":[],"attach_mode":"listed"}""", config.GetProperty("gpus").GetRawText());
    }

    [Fact]
    public async Task CreateVm_inputs_a_release_does_not_know_are_ignored()
    {
        await using (var old = await ProfileSim.StartAsync("0.4.2"))
        {
            var id = (await old.CallAsync("CreateVm", ProfileSim.CreateBody("s", ""","stopped":true"""))).Json.GetProperty("id").GetString()!;
            Assert.Equal(VmStatus.Running, old.Host.State.GetVm(id)!.Status); // 0.4.x always starts what it creates
        }

        // 0.5.5 has `stopped` but not `no_tee`, which is then not even decoded; 0.5.6 decodes it.
        const string extra = ",\"stopped\":true,\"no_tee\":\"not a bool\"";
        await using (var sim = await ProfileSim.StartAsync("0.5.5"))
        {
            var stopped = (await sim.CallAsync("CreateVm", ProfileSim.CreateBody("s", extra))).Json;
            Assert.Equal(VmStatus.Stopped, sim.Host.State.GetVm(stopped.GetProperty("id").GetString()!)!.Status);
        }

        await using var newer = await ProfileSim.StartAsync("0.5.6");
        Assert.Equal("invalid type: string \"not a bool\", expected a boolean", (await newer.CallAsync("CreateVm", ProfileSim.CreateBody("s", extra))).Error);
    }

    [Fact]
    public async Task Names_with_spaces_and_an_empty_gpu_config_are_refused_up_to_0_5_5()
    {
        await using (var old = await ProfileSim.StartAsync("0.5.5"))
        {
            Assert.Equal("Invalid name: my app", (await old.CallAsync("CreateVm", ProfileSim.CreateBody("my app"))).Error);
            Assert.Equal("GPU is not enabled",
                (await old.CallAsync("CreateVm", ProfileSim.CreateBody("g", ""","gpus":{"gpus":[],"attach_mode":"listed"}"""))).Error);
        }

        await using var sim = await ProfileSim.StartAsync("0.5.6");
        Assert.Equal(HttpStatusCode.OK, (await sim.CallAsync("CreateVm", ProfileSim.CreateBody("my app"))).Status);
        Assert.Equal(HttpStatusCode.OK,
            (await sim.CallAsync("CreateVm", ProfileSim.CreateBody("g", ""","gpus":{"gpus":[],"attach_mode":"listed"}"""))).Status);
    }

    [Fact]
    public async Task UpgradeApp_on_0_4_2_reloads_only_for_ports_and_has_no_gpus_field()
    {
        // A VM whose image went missing: reloading it fails, so whether UpgradeApp reloads shows.
        const string gpus = ""","gpus":{"gpus":[],"attach_mode":"listed"}""";
        await using (var old = await ProfileSim.StartAsync("0.4.2"))
        {
            var id = old.Host.State.AddVm(new VmSpec { Name = "m", ComposeFile = ProfileSim.Compose("m"), Image = "dstack-gone", Status = VmStatus.Stopped });
            Assert.Equal(HttpStatusCode.OK, (await old.CallAsync("UpgradeApp", $$"""{"id":"{{id}}","user_config":"u"{{gpus}}}""")).Status);
            Assert.Equal("u", old.Host.State.GetVm(id)!.UserConfig);
            Assert.StartsWith("Failed to load VM\n\nCaused by:\n    0: Failed to load image\n    1: failed to open image info\n    2: failed to open file `/home/dstack/.dstack-vmm/image/dstack-gone/metadata.json`",
                (await old.CallAsync("UpgradeApp", $$"""{"id":"{{id}}","update_ports":true,"ports":[]}""")).Error);
        }

        await using var sim = await ProfileSim.StartAsync("0.5.5");
        var vm = sim.Host.State.AddVm(new VmSpec { Name = "m", ComposeFile = ProfileSim.Compose("m"), Image = "dstack-gone", Status = VmStatus.Stopped });
        Assert.Equal("GPU is not enabled", (await sim.CallAsync("UpgradeApp", $$"""{"id":"{{vm}}","user_config":"u"{{gpus}}}""")).Error);
        Assert.StartsWith("Failed to load VM\n\nCaused by:", (await sim.CallAsync("UpgradeApp", $$"""{"id":"{{vm}}","user_config":"u"}""")).Error);
    }

    [Fact]
    public async Task Only_next_refuses_clashing_host_ports_and_compose_volumes()
    {
        const string ports = ""","ports":[{"protocol":"tcp","host_port":8080,"vm_port":80},{"protocol":"tcp","host_port":8080,"vm_port":81}]""";
        var volumes = ProfileSim.CreateBody("v", compose: ProfileSim.Compose("v").Replace("\"runner\"", "\"verity_volumes\":[{}],\"runner\"", StringComparison.Ordinal));
        await using (var released = await ProfileSim.StartAsync("0.5.11", o => o.PortMappingEnabled = true))
        {
            Assert.Equal(HttpStatusCode.OK, (await released.CallAsync("CreateVm", ProfileSim.CreateBody("p", ports))).Status);
            Assert.Equal(HttpStatusCode.OK, (await released.CallAsync("CreateVm", volumes)).Status);
        }

        await using var next = await ProfileSim.StartAsync("next", o => o.PortMappingEnabled = true);
        Assert.Equal("duplicate host port mapping: tcp 127.0.0.1:8080", (await next.CallAsync("CreateVm", ProfileSim.CreateBody("p", ports))).Error);
        Assert.Equal("volumes requested but cvm.volumes_dir is not configured", (await next.CallAsync("CreateVm", volumes)).Error);
    }
}
