using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Processes;

namespace Teehouse.Lite.Catalog;

/// <summary>
/// dstack-mr's measurements of a local image at a CVM size. An answer depends only on the image files (named by
/// their digest) and the size, so it is kept for a day and computed once however many clients ask at the same time;
/// a failure is kept for half a minute so a missing or broken dstack-mr is not started by every request. One run at a
/// time: it hashes the kernel and initrd, and a user asking for many sizes must not take the host's cores from its CVMs.
/// </summary>
public sealed class ImageMeasurements(LocalTools tools, TeehouseConfig config) : IDisposable
{
    private readonly ToolAnswers<(string Metadata, string? Digest, int Vcpu, long MemoryMb), TdxMeasurements> _answers = new(
        DstackMr.Tool, fresh: TimeSpan.FromHours(24), failed: TimeSpan.FromSeconds(30), maxEntries: 512,
        concurrency: 1, queueTimeout: TimeSpan.FromMilliseconds(config.Tools.TimeoutMs));

    /// <summary>Runs of dstack-mr so far.</summary>
    public int Runs => _answers.Runs;

    public Task<TdxMeasurements> MeasureAsync(string imagePath, string imageName, string? digest, int vcpu, long memoryMb, CancellationToken ct)
    {
        var metadata = ImageDirectory.MetadataPath(imagePath, imageName)
            ?? throw new ToolException(DstackMr.Tool, ToolFailure.Failed, $"invalid image name '{imageName}'");
        var timeout = TimeSpan.FromMilliseconds(config.Tools.TimeoutMs);
        return _answers.GetAsync((metadata, digest, vcpu, memoryMb),
            token => DstackMr.MeasureAsync(tools, metadata, vcpu, memoryMb, timeout, token), ct);
    }

    public void Dispose() => _answers.Dispose();
}
