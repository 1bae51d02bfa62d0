using System.Globalization;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// What a dstack-vmm release can do, from the version its <c>Version</c> RPC reports. Self-hosters run released
/// versions (0.4.2 … 0.5.11), not only the unreleased <c>next</c>; each flag names one difference in the API we use
/// (upstream Dstack-TEE/dstack at the tags, see reference/dstack-versions.md). An unknown or unparsable version is
/// taken as the newest behaviour, and the client still falls back when a call shows otherwise ("Method not found").
/// </summary>
public sealed record VmmFeatures(Version? Version)
{
    /// <summary>The oldest vmm Teehouse Lite speaks to: 0.3.x names its methods <c>Teepod.&lt;M&gt;</c> and lists VMs unpaged.</summary>
    public static readonly Version Minimum = new(0, 4, 2);

    public static readonly VmmFeatures Newest = new((Version?)null);

    /// <summary><c>UpdateVm</c> exists from 0.5.6 (b0707a81); before it, <c>UpgradeApp</c> + <c>ResizeVm</c>.</summary>
    public bool HasUpdateVm => AtLeast(0, 5, 6);

    /// <summary>
    /// <c>VmConfiguration.kms_urls</c> / <c>gateway_urls</c> exist from 0.5.2; before, a guest always uses the host's
    /// own KMS and gateway (serde drops the unknown fields).
    /// </summary>
    public bool HasPerVmKmsUrls => AtLeast(0, 5, 2);

    /// <summary>Up to 0.5.6 <c>RemoveVm</c> refuses a running VM ("VM is running, stop it first", app.rs).</summary>
    public bool RemoveRefusesRunning => !AtLeast(0, 5, 7);

    /// <summary>From 0.5.7 removal runs in the background (status <c>removing</c>); before, the VM is gone when RemoveVm answers.</summary>
    public bool RemovesInBackground => AtLeast(0, 5, 7);

    /// <summary>0.4.x sends <c>configuration.gpus</c> as a list of GpuSpec; 0.5.0 made it a GpuConfig object.</summary>
    public bool GpusAsList => !AtLeast(0, 5, 0);

    /// <summary>Released versions answer a failed <c>GET /logs</c> with HTTP 200 and the error as the text; next uses 404/400.</summary>
    public bool LogsErrorsAsText => !AtLeast(0, 6, 0);

    /// <summary>Only next guards the whole API with <c>[auth]</c>; released versions guard <c>GET /logs</c> alone.</summary>
    public bool AuthGuardsWholeApi => AtLeast(0, 6, 0);

    public bool Supported => Version is null || Version >= Minimum;

    /// <summary>"0.5.5", "v0.5.5", "0.6.0-rc.1", "0.5.5 (git:…)": the leading major.minor[.patch].</summary>
    public static VmmFeatures Of(string? version) => new(Parse(version));

    public static Version? Parse(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return null;
        var s = version.Trim().TrimStart('v', 'V');
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        var parts = s[..end].Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 2 or > 3) return null;
        var numbers = new int[3];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i])) return null;
        }
        return new Version(numbers[0], numbers[1], numbers[2]);
    }

    private bool AtLeast(int major, int minor, int build) => Version is null || Version >= new Version(major, minor, build);
}
