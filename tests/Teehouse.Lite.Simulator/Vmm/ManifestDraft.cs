using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>
/// A working copy of the editable manifest fields. UpdateVm/ResizeVm edit the copy and commit it only
/// once every check passed, like dstack rewriting vm-manifest.json at the end of the handler.
/// </summary>
internal sealed class ManifestDraft
{
    public uint Vcpu { get; set; }
    public uint Memory { get; set; }
    public uint DiskSize { get; set; }
    public required string Image { get; set; }
    public GpuSelection? Gpus { get; set; }
    public bool NoTee { get; set; }
    public required List<PortMap> Ports { get; set; }
    public required List<string> KmsUrls { get; set; }
    public required List<string> GatewayUrls { get; set; }
    public required List<NetworkSetting> Networks { get; set; }

    public static ManifestDraft From(VmRecord vm) => new()
    {
        Vcpu = vm.Vcpu,
        Memory = vm.Memory,
        DiskSize = vm.DiskSize,
        Image = vm.Image,
        Gpus = vm.Gpus,
        NoTee = vm.NoTee,
        Ports = [.. vm.Ports],
        KmsUrls = [.. vm.KmsUrls],
        GatewayUrls = [.. vm.GatewayUrls],
        Networks = [.. vm.Networks],
    };

    public void ApplyTo(VmRecord vm)
    {
        vm.Vcpu = Vcpu;
        vm.Memory = Memory;
        vm.DiskSize = DiskSize;
        vm.Image = Image;
        vm.Gpus = Gpus;
        vm.NoTee = NoTee;
        vm.Ports = Ports;
        vm.KmsUrls = KmsUrls;
        vm.GatewayUrls = GatewayUrls;
        vm.Networks = Networks;
    }
}
