
namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>One CVM as dstack-vmm reports it (<c>VmInfo</c>, from Status and GetInfo).</summary>
public sealed record VmInfo
{
    /// <summary>The VM's uuid.</summary>
    public string Id { get; init => field = value ?? ""; } = "";

    public string Name { get; init => field = value ?? ""; } = "";

    /// <summary><c>running</c>, <c>exited</c>, <c>stopping</c>, <c>stopped</c> or <c>removing</c>.</summary>
    public string Status { get; init => field = value ?? ""; } = "";

    /// <summary>Human-readable time since the process started, e.g. <c>1h 2m 3s</c>, or <c>never</c>.</summary>
    public string Uptime { get; init => field = value ?? ""; } = "";

    /// <summary>Set when the app uses the gateway and its instance id is known.</summary>
    public string? AppUrl { get; init; }

    /// <summary>40 lowercase hex chars.</summary>
    public string AppId { get; init => field = Hex.Normalize(value); } = "";

    /// <summary>Reported by the guest once it booted; null until then.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Null when Status was called with <c>brief</c>.</summary>
    public VmConfiguration? Configuration { get; init; }

    public string? ExitedAt { get; init; }

    /// <summary>"", <c>booting</c>, <c>running</c>, <c>N/A</c> or a guest-reported string such as <c>done</c>.</summary>
    public string BootProgress { get; init => field = value ?? ""; } = "";

    public string BootError { get; init => field = value ?? ""; } = "";

    public string ShutdownProgress { get; init => field = value ?? ""; } = "";

    /// <summary>Version of the guest image, e.g. <c>0.5.5</c>.</summary>
    public string ImageVersion { get; init => field = value ?? ""; } = "";

    public IReadOnlyList<GuestEvent> Events { get; init => field = value ?? []; } = [];

    public IReadOnlyList<NetworkInterfaceStatus> Interfaces { get; init => field = value ?? []; } = [];
}

/// <summary>A guest-reported event (<c>boot.progress</c>, <c>boot.error</c>, <c>shutdown.progress</c>, <c>instance.info</c>).</summary>
public sealed record GuestEvent
{
    public string Event { get; init => field = value ?? ""; } = "";

    public string Body { get; init => field = value ?? ""; } = "";

    /// <summary>Milliseconds since the Unix epoch.</summary>
    public long Timestamp { get; init; }
}

/// <summary>A CVM network interface (<c>NetworkInterfaceStatus</c>).</summary>
public sealed record NetworkInterfaceStatus
{
    /// <summary><c>user</c>, <c>bridge</c> or <c>custom</c>.</summary>
    public string Mode { get; init => field = value ?? ""; } = "";

    /// <summary><c>slirp</c>, <c>tap_bridge</c> or <c>custom</c>.</summary>
    public string Backend { get; init => field = value ?? ""; } = "";

    public string Mac { get; init => field = value ?? ""; } = "";

    public string? BridgeName { get; init; }

    public string? NetdevId { get; init; }
}
