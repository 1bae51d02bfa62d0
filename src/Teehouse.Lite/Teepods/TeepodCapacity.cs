namespace Teehouse.Lite.Teepods;

/// <summary>What a teepod's VMs hold right now.</summary>
public readonly record struct ResourceUse(int VmCount, long Vcpu, long MemoryMb)
{
    /// <summary>
    /// Every VM loaded by dstack-vmm holds a vsock CID (so it counts against max_cvm_number) whatever its state;
    /// vCPUs and memory are held by VMs that are started: running, stopping, or exited (dstack's auto-restart brings
    /// those back). Stopped and removing VMs hold neither.
    /// </summary>
    public static ResourceUse Of(IEnumerable<(string Status, long Vcpu, long MemoryMb)> vms)
    {
        int count = 0;
        long vcpu = 0, memory = 0;
        foreach (var vm in vms)
        {
            if (vm.Status == "removing") continue;
            count++;
            if (vm.Status is "stopped") continue;
            vcpu += vm.Vcpu;
            memory += vm.MemoryMb;
        }
        return new ResourceUse(count, vcpu, memory);
    }
}

/// <summary>Capacity arithmetic for /teepods/available and placement.</summary>
public static class TeepodCapacity
{
    public static long Remaining(long? max, long used) => max is null ? 0 : Math.Max(0, max.Value - used);

    /// <summary>
    /// 0–100: the share of the scarcest resource still free (vCPU, memory or VM slots). A teepod with 0 has no room;
    /// placement prefers the highest score.
    /// </summary>
    public static double Score(TeepodRecord t)
    {
        var fractions = new[]
        {
            Fraction(t.MaxAllocableVcpu, t.UsedVcpu),
            Fraction(t.MaxAllocableMemoryInMb, t.UsedMemoryMb),
            Fraction(t.MaxCvmNumber, t.VmCount),
        };
        return Math.Round(100 * fractions.Min(), 2);
    }

    private static double Fraction(long? max, long used) =>
        max is null or <= 0 ? 0 : Math.Clamp((double)(max.Value - used) / max.Value, 0, 1);
}
