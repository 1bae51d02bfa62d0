using System.Security.Cryptography;
using System.Text;
using Teehouse.Lite.Simulator.Profiles;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>
/// Renders a VM as dstack's <c>VmInfo</c> message (vm_info.rs <c>to_pb</c>; app/qemu.rs <c>to_pb</c> before 0.6). Fields a
/// release's proto lacks are dropped afterwards by <see cref="WireShape"/>; here only values that differ are chosen.
/// </summary>
internal static class VmInfoBuilder
{
    private static readonly NetworkSetting DefaultNetwork = new("user", "");

    public static VmInfoMessage Build(VmRecord vm, SimulatorOptions options, VmmProfile profile, bool brief, DateTimeOffset now)
    {
        var effectiveNetworks = vm.Networks.Count > 0 ? vm.Networks : [DefaultNetwork];
        var interfaces = effectiveNetworks
            .Select((n, index) => new NetworkInterfaceStatusMessage(
                n.Mode,
                n.Mode == "bridge" ? "tap_bridge" : "slirp",
                MacAddress(vm.Id, index),
                n.Mode == "bridge" ? n.BridgeName : null,
                $"net{index}"))
            .ToList();

        return new VmInfoMessage(
            vm.Id,
            vm.Name,
            vm.Status,
            Humantime.Since(vm.ProcessStartedAt, now),
            vm.GatewayEnabled && vm.InstanceId is { Length: > 0 } instanceId ? AppUrl(instanceId, vm.GatewayUrls, options, profile) : null,
            vm.AppId,
            string.IsNullOrWhiteSpace(vm.InstanceId) ? null : vm.InstanceId,
            brief ? null : Configuration(vm, profile),
            Humantime.Since(vm.ProcessStoppedAt, now),
            vm.BootProgress,
            vm.BootError,
            vm.ShutdownProgress,
            vm.ImageVersion,
            vm.Events.Select(e => new GuestEventMessage(e.Event, e.Body, e.Timestamp)).ToList(),
            interfaces);
    }

    private static VmConfigurationMessage Configuration(VmRecord vm, VmmProfile profile)
    {
        var networks = vm.Networks.Select(n => new NetworkingConfigMessage(n.Mode, n.Mode == "bridge" ? n.BridgeName : "")).ToList();
        return new VmConfigurationMessage(
            vm.Name,
            vm.Image,
            vm.ComposeFile,
            vm.Vcpu,
            vm.Memory,
            vm.DiskSize,
            vm.Ports.Select(p => new PortMappingMessage(p.Protocol, p.From, p.To, p.Address)).ToList(),
            HexBytes.Encode(vm.EncryptedEnv),
            vm.AppId,
            vm.UserConfig,
            vm.Hugepages,
            vm.PinNuma,
            Gpus(vm.Gpus, profile),
            vm.KmsUrls,
            vm.GatewayUrls,
            !vm.Started,
            vm.NoTee || vm.SimulatedTee is not null,
            networks.FirstOrDefault(),
            networks,
            vm.SimulatedTee);
    }

    // 0.4.x: a plain list of the manifest's GpuSpec; later a GpuConfig (null for a manifest without one).
    private static object? Gpus(GpuSelection? gpus, VmmProfile profile)
    {
        if (profile.GpusAsArray)
        {
            var slots = gpus?.Slots ?? [];
            return slots.Select((slot, i) => new LegacyGpuSpecMessage(i < gpus!.ProductIds.Count ? gpus.ProductIds[i] : "", slot)).ToList();
        }

        return gpus is { } g ? new GpuConfigMessage(g.Slots.Select(s => new GpuSpecMessage(s)).ToList(), g.AttachMode) : null;
    }

    /// <summary>https://&lt;instance_id&gt;-&lt;agent_port&gt;.&lt;domain&gt;[:port]; from 0.5.6 a VM-specific gateway URL
    /// overrides the domain and port; 0.4.x always writes the port, even 443.</summary>
    internal static string AppUrl(string instanceId, IReadOnlyList<string> customGatewayUrls, SimulatorOptions options, VmmProfile profile)
    {
        if (!profile.AppUrlOmits443)
        {
            return $"https://{instanceId}-{options.GatewayAgentPort}.{options.GatewayBaseDomain}:{options.GatewayPort}";
        }

        if (profile.AppUrlUsesVmGatewayUrl && customGatewayUrls.Count > 0 && Uri.TryCreate(customGatewayUrls[0], UriKind.Absolute, out var custom))
        {
            var host = string.IsNullOrEmpty(custom.Host) ? options.GatewayBaseDomain : custom.Host;
            // url::Url::port() is None for a scheme's default port, which dstack then treats as 443.
            var port = custom.IsDefaultPort ? 443 : custom.Port;
            return port == 443
                ? $"https://{instanceId}-{options.GatewayAgentPort}.{host}"
                : $"https://{instanceId}-{options.GatewayAgentPort}.{host}:{port}";
        }

        return options.GatewayPort == 443
            ? $"https://{instanceId}-{options.GatewayAgentPort}.{options.GatewayBaseDomain}"
            : $"https://{instanceId}-{options.GatewayAgentPort}.{options.GatewayBaseDomain}:{options.GatewayPort}";
    }

    /// <summary>Locally administered unicast MAC derived from sha256 of the VM id (":index" for extra NICs).</summary>
    internal static string MacAddress(string vmId, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(index == 0 ? vmId : $"{vmId}:{index}"));
        hash[0] = (byte)((hash[0] & 0xfe) | 0x02);
        return string.Join(':', hash.Take(6).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
