namespace Teehouse.Lite.Simulator.Vms;

/// <summary>The status strings dstack-vmm derives in <c>vm_info.rs</c>.</summary>
public static class VmStatus
{
    public const string Running = "running";
    public const string Exited = "exited";
    public const string Stopping = "stopping";
    public const string Stopped = "stopped";
    public const string Removing = "removing";

    /// <summary>removing wins; otherwise the pair (started flag from vm-state.json, supervisor process running).</summary>
    public static string Derive(bool removing, bool started, bool running) =>
        removing ? Removing : (started, running) switch
        {
            (true, true) => Running,
            (true, false) => Exited,
            (false, true) => Stopping,
            (false, false) => Stopped,
        };
}
