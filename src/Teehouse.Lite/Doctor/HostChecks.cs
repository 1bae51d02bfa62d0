using Teehouse.Lite.Infrastructure.Processes;

namespace Teehouse.Lite.Doctor;

/// <summary>The machine under Teehouse: TDX in the kernel, qemu, disk room, a sane clock.</summary>
public static class HostChecks
{
    /// <summary>Below this the database (and dstack's VM disks beside it) can fill the disk within days.</summary>
    public const long MinFreeBytes = 1L << 30;

    public static DoctorCheck Tdx(string sysfsRoot)
    {
        var file = Path.Combine(sysfsRoot, "module", "kvm_intel", "parameters", "tdx");
        string value;
        try
        {
            value = File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return DoctorCheck.Fail("tdx", $"{file}: not found (kvm_intel not loaded, or a kernel without TDX)",
                "load kvm_intel with TDX on a TDX-enabled BIOS and kernel: modprobe kvm_intel tdx=1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DoctorCheck.Fail("tdx", $"{file}: cannot read: {e.Message}", "run doctor as a user that can read /sys");
        }
        return value is "Y" or "y" or "1"
            ? DoctorCheck.Pass("tdx", $"enabled ({file} = {value})")
            : DoctorCheck.Fail("tdx", $"disabled ({file} = {value})",
                "enable TDX in the BIOS and set options kvm_intel tdx=1 (e.g. /etc/modprobe.d/kvm.conf), then reload kvm_intel");
    }

    public static async Task<DoctorCheck> QemuAsync(LocalTools tools, TimeSpan timeout, CancellationToken ct)
    {
        const string qemu = "qemu-system-x86_64";
        try
        {
            var output = await tools.RunAsync(qemu, ["--version"], timeout, ct);
            return DoctorCheck.Pass("qemu", LocalTools.FirstLine(output.Stdout) ?? $"{qemu} answers");
        }
        catch (ToolException e)
        {
            return DoctorCheck.Fail("qemu", e.Message, e.Failure == ToolFailure.Missing
                ? "install dstack's QEMU (or the distribution's qemu-system-x86 with TDX support) and put it on PATH"
                : $"check the {qemu} installation: run `{qemu} --version` by hand");
        }
    }

    public static DoctorCheck Disk(string dataDirectory)
    {
        try
        {
            // Not created yet (before the first serve): the room that matters is where it will be created.
            var existing = Path.GetFullPath(dataDirectory);
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent) existing = parent;
            var drive = new DriveInfo(existing);
            var free = drive.AvailableFreeSpace;
            var total = drive.TotalSize;
            var text = $"{Gib(free)} free of {Gib(total)} in {dataDirectory}";
            return free >= MinFreeBytes && free * 20 >= total
                ? DoctorCheck.Pass("disk", text)
                : DoctorCheck.Fail("disk", text + " (below 1 GiB or 5%)",
                    "free space on that file system (old VM images, logs), or move [database] path to a larger one");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return DoctorCheck.Fail("disk", $"{dataDirectory}: cannot tell the free space: {e.Message}", "check that the data directory exists");
        }
    }

    /// <param name="newestRecord">The newest time the database recorded (the audit log's), if any.</param>
    public static DoctorCheck Clock(DateTime nowUtc, DateTime? newestRecord)
    {
        const string fix = "set the clock and keep it synchronised: timedatectl set-ntp true (or chrony/ntpd)";
        var now = nowUtc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        if (nowUtc.Year is < 2024 or > 2100) return DoctorCheck.Fail("clock", $"the system clock says {now}", fix);
        // Tokens expire, pending deploys lapse and the audit log sorts by this clock: one that went back is trouble.
        if (newestRecord is { } newest && newest - nowUtc > TimeSpan.FromMinutes(5))
            return DoctorCheck.Fail("clock", $"the system clock says {now}, but the database has a record from " +
                $"{newest.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture)}: the clock went back", fix);
        return DoctorCheck.Pass("clock", now);
    }

    private static string Gib(long bytes) =>
        (bytes / (double)(1L << 30)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " GiB";
}
