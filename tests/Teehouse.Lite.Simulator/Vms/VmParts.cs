namespace Teehouse.Lite.Simulator.Vms;

/// <summary>A host port forward as stored in the manifest's <c>port_map</c>.</summary>
public sealed record PortMap(string Protocol, string Address, ushort From, ushort To);

/// <summary>The manifest's GPU selection; dstack stores one on every create ("listed", no GPUs).</summary>
public sealed record GpuSelection(string AttachMode, IReadOnlyList<string> Slots)
{
    public static GpuSelection None { get; } = new("listed", []);

    /// <summary>0.4.x manifests keep each GPU's product_id next to its slot (parallel to <see cref="Slots"/>).</summary>
    public IReadOnlyList<string> ProductIds { get; init; } = [];
}

/// <summary>A configured network (<c>NetworkingConfig</c>): mode "user" or "bridge".</summary>
public sealed record NetworkSetting(string Mode, string BridgeName);

/// <summary>A guest-reported event (<c>GuestEvent</c>): timestamp in ms since the epoch.</summary>
public sealed record GuestEvent(string Event, string Body, ulong Timestamp);
