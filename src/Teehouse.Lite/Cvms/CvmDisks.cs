using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Processes;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// How much host disk a VM of a local teepod takes (<c>qemu-img info</c> of its hda.img), for the admin's CVM
/// detail. Kept for a minute and shared, so a dashboard polling the detail starts one qemu-img a minute per VM; a
/// missing qemu-img or disk (a VM never started has none) is remembered as long.
/// </summary>
public sealed class CvmDisks(LocalTools tools, TeehouseConfig config) : IDisposable
{
    /// <summary>qemu-img info reads a header; a run this slow means the disk or the tool is stuck.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(5);

    private readonly ToolAnswers<string, DiskImageInfo> _answers = new(
        QemuImg.Tool, fresh: TimeSpan.FromMinutes(1), failed: TimeSpan.FromMinutes(1), maxEntries: 4096,
        concurrency: 2, queueTimeout: RunTimeout);

    public int Runs => _answers.Runs;

    /// <summary>The VM's disk use, or null when this host cannot tell (not a local teepod, no disk yet, no qemu-img).</summary>
    public async Task<CvmDiskUsage?> UsageAsync(string? runPath, string? vmUuid, ILogger logger, CancellationToken ct)
    {
        if (runPath is null || ImageDirectory.VmDiskPath(runPath, vmUuid) is not { } disk) return null;
        var timeout = TimeSpan.FromMilliseconds(Math.Min(config.Tools.TimeoutMs, RunTimeout.TotalMilliseconds));
        try
        {
            var info = await _answers.GetAsync(disk, token => QemuImg.InfoAsync(tools, disk, timeout, token), ct);
            return new CvmDiskUsage(info.Format, info.VirtualSize, info.ActualSize);
        }
        catch (ToolException e)
        {
            logger.LogDebug("No disk use for VM {Vm}: {Detail}", vmUuid, e.Message);
            return null;
        }
    }

    public void Dispose() => _answers.Dispose();
}
