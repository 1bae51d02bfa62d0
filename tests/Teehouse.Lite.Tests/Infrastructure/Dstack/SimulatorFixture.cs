using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// One simulator (5 pre-populated VMs) and one factory shared by the tests of a class. It is dstack's next, whose API
/// is the widest (networking, interfaces, 404 logs errors); what released versions do differently is pinned in
/// Releases/ and the SimulatorProfile tests.
/// </summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public SimulatorProcess Sim { get; private set; } = null!;

    public DstackClientFactory Factory { get; } = new(TimeSpan.FromSeconds(10));

    public VmmClient Vmm => Factory.Vmm(Sim.BaseUrl);

    public async ValueTask InitializeAsync() => Sim = await SimulatorProcess.StartAsync(vms: 5, vmmVersion: "next");

    public async ValueTask DisposeAsync()
    {
        Factory.Dispose();
        if (Sim is not null)
        {
            await Sim.DisposeAsync();
        }
    }
}

internal static class TestCompose
{
    /// <summary>An app-compose.json as vmm-cli writes it (manifest_version, name and runner are required).</summary>
    public static string For(string name) => $$"""
        {
            "manifest_version": 2,
            "name": "{{name}}",
            "runner": "docker-compose",
            "docker_compose_file": "services:\n  web:\n    image: nginx:alpine\n",
            "kms_enabled": false,
            "gateway_enabled": false,
            "local_key_provider_enabled": false,
            "key_provider_id": "",
            "public_logs": true,
            "public_sysinfo": true,
            "allowed_envs": [],
            "no_instance_id": false,
            "secure_time": false
        }
        """;

    public static VmConfiguration Config(string name, bool stopped = false) => new()
    {
        Name = name,
        Image = "dstack-0.5.5",
        ComposeFile = For(name),
        Vcpu = 1,
        Memory = 1024,
        DiskSize = 20,
        Stopped = stopped,
    };
}
