namespace Teehouse.Lite.Simulator.Vms;

/// <summary>Synthetic console output for a VM boot, close enough to a dstack guest's serial log to be recognisable.</summary>
internal static class VmLogLines
{
    public static void Boot(VmRecord vm)
    {
        vm.Log.Append(LogChannel.Stdout, $"Starting VM {vm.Id} ({vm.Name}) with {vm.Vcpu} vCPU(s), {vm.Memory}MB memory, image {vm.Image}");
        vm.Log.Append(LogChannel.Serial, "[    0.000000] Linux version 6.9.0-dstack (builder@dstack) #1 SMP PREEMPT_DYNAMIC");
        vm.Log.Append(LogChannel.Serial, "[    0.000000] Command line: console=ttyS0 init=/init panic=1");
        vm.Log.Append(LogChannel.Serial, "[    0.412233] tdx: Guest detected");
        vm.Log.Append(LogChannel.Serial, "\u001b[0;32m[  OK  ]\u001b[0m Reached target Basic System.");
        vm.Log.Append(LogChannel.Serial, $"dstack-prepare: app_id={vm.AppId}");
        vm.Log.Append(LogChannel.Serial, "\u001b[0;32m[  OK  ]\u001b[0m Started Docker Application Container Engine.");
        vm.Log.Append(LogChannel.Serial, "dstack-guest-agent: listening on 0.0.0.0:8090");
    }
}
