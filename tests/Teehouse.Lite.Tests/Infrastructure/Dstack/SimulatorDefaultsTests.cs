using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// What a newcomer gets from the standalone simulator (README walkthrough): a seeded host with room to deploy, VM ids
/// of its own next to a second simulator, and a <c>--help</c> that names every option the parser takes.
/// </summary>
public sealed class SimulatorDefaultsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_host_seeded_with_many_vms_keeps_at_least_half_its_capacity_free()
    {
        await using var host = await SimulatorHost.StartAsync(SimulatorProgram.ParseArgs(["--vms", "20"]));
        var started = host.State.ListVms().Where(v => v.Status is not ("stopped" or "removing")).ToList();
        long vcpu = started.Sum(v => (long)v.Vcpu), memory = started.Sum(v => (long)v.Memory);
        Assert.True(vcpu > 20, $"the seeded VMs hold only {vcpu} vCPU: the test no longer shows the growth");

        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var resources = (await factory.Vmm(host.BaseUrl.ToString().TrimEnd('/')).GetMetaAsync(Ct)).Resources!;
        Assert.True(resources.MaxAllocableVcpu >= 2 * vcpu, $"{resources.MaxAllocableVcpu} vCPU for {vcpu} held");
        Assert.True(resources.MaxAllocableMemoryInMb >= 2 * memory, $"{resources.MaxAllocableMemoryInMb} MB for {memory} held");
    }

    [Fact]
    public async Task Explicit_limits_win_and_in_process_hosts_keep_dstacks_defaults()
    {
        await using var given = await SimulatorHost.StartAsync(SimulatorProgram.ParseArgs(["--vms", "20", "--max-vcpu", "8", "--max-memory-mb", "4096"]));
        await using var inProcess = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 20 });
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var a = (await factory.Vmm(given.BaseUrl.ToString().TrimEnd('/')).GetMetaAsync(Ct)).Resources!;
        Assert.Equal((8, 4096), (a.MaxAllocableVcpu, a.MaxAllocableMemoryInMb));
        var b = (await factory.Vmm(inProcess.BaseUrl.ToString().TrimEnd('/')).GetMetaAsync(Ct)).Resources!;
        Assert.Equal((20, 100_000), (b.MaxAllocableVcpu, b.MaxAllocableMemoryInMb));
    }

    [Fact]
    public async Task Two_simulators_with_one_seed_share_keys_and_contents_but_no_vm_id()
    {
        await using var one = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 6 });
        await using var two = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 6 });
        var a = one.State.ListVms();
        var b = two.State.ListVms();
        Assert.Equal(a.Select(v => (v.Name, v.ComposeFile)).Order(), b.Select(v => (v.Name, v.ComposeFile)).Order());
        Assert.Empty(a.Select(v => v.Id).Intersect(b.Select(v => v.Id)));
        Assert.Equal(one.State.KmsK256PublicKey, two.State.KmsK256PublicKey);

        // A VM created later gets an id of its host's own as well.
        var spec = new VmSpec { Name = "late", Image = "dstack-0.5.5", ComposeFile = "{}" };
        Assert.NotEqual(one.State.AddVm(spec), two.State.AddVm(spec));
    }

    [Fact]
    public async Task A_simulator_restarted_on_its_port_has_the_same_vm_ids()
    {
        await using var sim = await SimulatorProcess.StartAsync(vms: 4);
        var before = Ids(await sim.VmsAsync());
        await sim.GoDownAsync();
        await sim.ComeBackAsync();
        Assert.Equal(before, Ids(await sim.VmsAsync()));
        Assert.Equal(4, before.Count);

        static List<string> Ids(System.Text.Json.JsonElement vms) =>
            [.. vms.EnumerateArray().Select(v => v.GetProperty("id").GetString()!).Order()];
    }

    [Fact]
    public void Help_lists_options_the_parser_takes_and_every_capacity_knob()
    {
        var usage = SimulatorProgram.Usage();
        var options = Regex.Matches(usage, @"^\s+(?:-h, )?(--[a-z-]+)(?: ([A-Z]+))?", RegexOptions.Multiline)
            .Select(m => (Name: m.Groups[1].Value, Arg: m.Groups[2].Value))
            .Where(o => o.Name != "--help")
            .ToList();
        foreach (var name in new[] { "--port", "--vms", "--seed", "--vmm-version", "--version", "--max-vcpu", "--max-memory-mb",
                                     "--max-cvm", "--auth-token", "--port-mapping", "--gpu", "--fault", "--delay-ms" })
            Assert.Contains(name, options.Select(o => o.Name));
        foreach (var (name, arg) in options)
        {
            string[] args = arg switch
            {
                "" => [name],
                "N" => [name, "1"],
                "MODE" => [name, "slow"],
                "V" when name == "--vmm-version" => [name, "0.5.5"],
                _ => [name, "x"],
            };
            SimulatorProgram.ParseArgs(args); // throws ArgumentException on an option it does not know
        }
    }
}
