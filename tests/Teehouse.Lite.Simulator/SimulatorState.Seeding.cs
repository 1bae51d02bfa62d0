namespace Teehouse.Lite.Simulator;

public sealed partial class SimulatorState
{
    /// <summary>
    /// Draws VM ids from the seed mixed with the port the host listens on: two simulators running side by side (one
    /// Teehouse, two teepods) never give their VMs the same ids, while one brought back on its port with the same seed
    /// has the same VMs again. Called once the port is known, before any VM exists.
    /// </summary>
    internal void SeedVmIds(int port)
    {
        lock (Sync)
        {
            _random = new Random(unchecked((Options.Seed * 65_537) + port));
        }
    }

    /// <summary>vCPUs and memory (MB) the VMs hold that a started guest holds: running, stopping or exited ones.</summary>
    internal (long Vcpu, long MemoryMb) HeldResources()
    {
        lock (Sync)
        {
            long vcpu = 0, memory = 0;
            foreach (var vm in _vms.Values)
            {
                if (vm.Status is Vms.VmStatus.Stopped or Vms.VmStatus.Removing)
                {
                    continue;
                }

                vcpu += vm.Vcpu;
                memory += vm.Memory;
            }

            return (vcpu, memory);
        }
    }

    /// <summary><c>cvm.max_allocable_vcpu</c> as reported (see <see cref="SimulatorOptions.MaxAllocableVcpu"/>).</summary>
    internal uint MaxAllocableVcpu { get; private set; } = SimulatorOptions.DefaultMaxAllocableVcpu;

    internal uint MaxAllocableMemoryMb { get; private set; } = SimulatorOptions.DefaultMaxAllocableMemoryMb;

    /// <summary>Fixes the reported capacity once the pre-populated VMs exist.</summary>
    internal void ResolveCapacity()
    {
        var (vcpu, memory) = HeldResources();
        MaxAllocableVcpu = Options.MaxAllocableVcpu ?? (uint)Math.Max(SimulatorOptions.DefaultMaxAllocableVcpu, 2 * vcpu);
        MaxAllocableMemoryMb = Options.MaxAllocableMemoryMb
            ?? (uint)Math.Max(SimulatorOptions.DefaultMaxAllocableMemoryMb, 2 * memory);
    }
}
