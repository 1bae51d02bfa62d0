using System.Net;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>Request checks shared by CreateVm and UpdateVm, with dstack's error texts.</summary>
internal sealed partial class VmmService
{
    private void ValidateLabel(string label)
    {
        foreach (var c in label)
        {
            var ok = _profile.NamesAllowPunctuation
                ? char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ' ' or '@' or '~' or '!' or '$' or '^' or '(' or ')'
                : char.IsLetterOrDigit(c) || c is '-' or '_'; // Rust char::is_alphanumeric is Unicode-wide
            if (!ok)
            {
                throw new PrpcException($"Invalid name: {label}");
            }
        }
    }

    /// <summary>The context VmWorkDir::manifest puts on its read ("Failed to…" on releases, lower case on next).</summary>
    private string ManifestReadContext => _profile.IsNext ? "failed to read manifest" : "Failed to read manifest";

    /// <summary>The context VmWorkDir::set_started puts on its write.</summary>
    private string StateWriteContext => _profile.IsNext ? "failed to write state" : "Failed to write state";

    internal static void ValidateVmId(string id)
    {
        if (id.Length == 0 || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new PrpcException("invalid VM id");
        }
    }

    private string MissingFile(string relative, string operation) =>
        $"failed to {operation} file `{_options.RunPath.TrimEnd('/')}/{relative}`: {PrpcException.NoSuchFile}";

    private SimImage LoadImage(string name, string context)
    {
        if (name.Length > 64 || name.Contains("..", StringComparison.Ordinal)
            || !name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new PrpcException(context, "Invalid image name");
        }

        var imageDir = _options.ImagePath.TrimEnd('/');
        if (name.Length == 0)
        {
            throw new PrpcException(
                context, "Failed to load image", "failed to open image info", $"failed to open file `{imageDir}/metadata.json`: {PrpcException.NoSuchFile}");
        }

        // Releases open <image.path>/<name>/metadata.json straight away (v0.5.11 app/image.rs:53); next resolves the
        // directory first.
        return _state.FindImage(name)
            ?? throw (_profile.IsNext
                ? new PrpcException(context, "Failed to load image", "failed to resolve image directory", PrpcException.NoSuchFile)
                : new PrpcException(
                    context, "Failed to load image", "failed to open image info", $"failed to open file `{imageDir}/{name}/metadata.json`: {PrpcException.NoSuchFile}"));
    }

    private PortMap ResolveCreatePort(PortMappingRequest p)
    {
        var from = ToU16(p.HostPort, "Invalid host port");
        var to = ToU16(p.VmPort, "Invalid vm port");
        if (!IsPortAllowed(p.Protocol, from))
        {
            throw new PrpcException($"Port mapping is not allowed for {p.Protocol}:{from}");
        }

        var protocol = ParseProtocol(p.Protocol);
        var address = p.HostAddress.Length > 0 ? ParseAddress(p.HostAddress) : _options.PortMappingAddress;
        return new PortMap(protocol, address, from, to);
    }

    private static PortMap ResolveUpdatePort(PortMappingRequest p)
    {
        var address = ParseAddress(p.HostAddress);
        var protocol = ParseProtocol(p.Protocol);
        return new PortMap(protocol, address, ToU16(p.HostPort, "Invalid host port"), ToU16(p.VmPort, "Invalid vm port"));
    }

    private bool IsPortAllowed(string protocol, ushort port)
    {
        if (!_options.PortMappingEnabled)
        {
            return false;
        }

        return protocol switch
        {
            "tcp" => port >= _options.PortMappingTcpFrom && port <= _options.PortMappingTcpTo,
            "udp" => _options.PortMappingUdpRange is { } udp && port >= udp.From && port <= udp.To,
            _ => false,
        };
    }

    private static ushort ToU16(uint value, string context) =>
        value <= ushort.MaxValue
            ? (ushort)value
            : throw new PrpcException(context, "out of range integral type conversion attempted");

    private static string ParseProtocol(string protocol) =>
        protocol is "tcp" or "udp" ? protocol : throw new PrpcException("Invalid protocol", $"invalid protocol: {protocol}");

    private static string ParseAddress(string address) =>
        IPAddress.TryParse(address, out var ip) && !address.Contains('%', StringComparison.Ordinal)
            ? ip.ToString()
            : throw new PrpcException("Invalid host address", "invalid IP address syntax");

    private static void ValidateUniquePorts(List<PortMap> ports)
    {
        for (var i = 0; i < ports.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (PortsConflict(ports[i], ports[j]))
                {
                    throw new PrpcException($"duplicate host port mapping: {ports[i].Protocol} {ports[i].Address}:{ports[i].From}");
                }
            }
        }
    }

    private void ValidatePortConflicts(string? selfId, List<PortMap> ports)
    {
        if (ports.Count == 0)
        {
            return;
        }

        foreach (var other in _state.AllVms)
        {
            if (other.Id == selfId)
            {
                continue;
            }

            foreach (var mapping in ports)
            {
                if (other.Ports.Any(existing => PortsConflict(mapping, existing)))
                {
                    throw new PrpcException(
                        $"host port mapping conflicts with VM {other.Id}: {mapping.Protocol} {mapping.Address}:{mapping.From}");
                }
            }
        }
    }

    private static bool PortsConflict(PortMap a, PortMap b) =>
        a.Protocol == b.Protocol && a.From == b.From
        && (a.Address == b.Address || IsUnspecified(a.Address) || IsUnspecified(b.Address));

    private static bool IsUnspecified(string address) => address is "0.0.0.0" or "::";

    private GpuSelection ResolveGpus(GpuConfigRequest gpus)
    {
        // ≤0.5.5 refuse any GpuConfig without cvm.gpu.enabled, even an empty one.
        if (!_options.GpuEnabled && (!gpus.IsEmpty || _profile.EmptyGpuConfigNeedsGpus))
        {
            throw new PrpcException("GPU is not enabled");
        }

        return gpus.AttachMode switch
        {
            "listed" => new GpuSelection("listed", gpus.Slots),
            "all" when !_options.GpuAllowAttachAll => throw new PrpcException("Attaching all GPUs is not allowed"),
            // The simulated host has no NVIDIA devices for "all" to pick up.
            "all" => new GpuSelection("all", []),
            _ => throw new PrpcException($"Invalid GPU attach mode: {gpus.AttachMode}"),
        };
    }

    private static void CheckSimulatedTee(string? simulatedTee)
    {
        if (simulatedTee is null)
        {
            return;
        }

        if (simulatedTee is not ("dstack-tdx" or "dstack-gcp-tdx" or "dstack-amd-sev-snp" or "dstack-nitro-enclave" or "dstack-aws-nitro-tpm"))
        {
            throw new PrpcException($"unsupported TEE variant: {simulatedTee}");
        }

        throw new PrpcException("tee simulator credentials are not configured on this VMM");
    }

    private static List<NetworkSetting> NetworksFromConfig(VmConfigurationRequest request) // fields absent from a profile read as empty
    {
        List<NetworkSetting> networks;
        if (request.Networks.Count > 0)
        {
            networks = request.Networks.Select(RequiredNetwork).ToList();
        }
        else if (request.Networking is { } single && OptionalNetwork(single) is { } one)
        {
            networks = [one];
        }
        else
        {
            return [];
        }

        ValidateResolvedNetworks(networks);
        return networks;
    }

    private static NetworkSetting RequiredNetwork(NetworkingRequest proto) =>
        OptionalNetwork(proto) ?? throw new PrpcException("networking mode is required");

    private static NetworkSetting? OptionalNetwork(NetworkingRequest proto)
    {
        var bridge = proto.BridgeName.Trim();
        var mode = proto.Mode switch
        {
            "bridge" => "bridge",
            "user" => "user",
            "" when bridge.Length == 0 => null,
            "" => throw new PrpcException("networking mode is required when bridge is set"),
            "custom" => throw new PrpcException("custom networking mode is manifest-only"),
            var other => throw new PrpcException($"unsupported networking mode '{other}'"),
        };
        if (mode is null)
        {
            return null;
        }

        if (mode != "bridge" && bridge.Length > 0)
        {
            throw new PrpcException("bridge_name is only valid for bridge networking mode");
        }

        return new NetworkSetting(mode, bridge);
    }

    // The simulated host has no bridge interfaces, exactly like a host whose GetMeta offers only "user".
    private static void ValidateResolvedNetworks(IEnumerable<NetworkSetting> networks)
    {
        foreach (var network in networks.Where(n => n.Mode == "bridge"))
        {
            throw new PrpcException(network.BridgeName.Length == 0
                ? "bridge networking requested but no bridge is configured"
                : $"bridge interface '{network.BridgeName}' does not exist");
        }
    }

    private static void Wrap(string context, Action action)
    {
        try
        {
            action();
        }
        catch (PrpcException e)
        {
            throw e.WithContext(context);
        }
    }

    private static void Wrap<T>(string context, Func<T> action) => Wrap(context, () => { _ = action(); });
}
