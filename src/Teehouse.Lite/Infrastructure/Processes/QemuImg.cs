using System.Text.Json;

namespace Teehouse.Lite.Infrastructure.Processes;

/// <summary>A disk image as qemu-img sees it: the size the guest sees and the bytes it takes on the host.</summary>
public sealed record DiskImageInfo(string Format, long VirtualSize, long? ActualSize);

/// <summary><c>qemu-img info -U --output=json &lt;file&gt;</c>.</summary>
public static class QemuImg
{
    public const string Tool = "qemu-img";

    /// <summary>
    /// <c>-U</c> (force-share): a running VM's qemu holds the image's write lock, and without it qemu-img refuses to
    /// open the file at all ("Failed to get shared "write" lock").
    /// </summary>
    public static IReadOnlyList<string> Arguments(string file) => ["info", "-U", "--output=json", file];

    public static async Task<DiskImageInfo> InfoAsync(LocalTools tools, string file, TimeSpan timeout, CancellationToken ct)
    {
        var output = await tools.RunAsync(Tool, Arguments(file), timeout, ct);
        return Parse(output.Stdout)
            ?? throw new ToolException(Tool, ToolFailure.Failed, $"{Tool} printed no image info: {LocalTools.FirstLine(output.Stdout) ?? "no output"}");
    }

    public static DiskImageInfo? Parse(string stdout)
    {
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("virtual-size", out var virtualSize) || !virtualSize.TryGetInt64(out var bytes) || bytes < 0)
                return null;
            var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "unknown";
            long? actual = root.TryGetProperty("actual-size", out var a) && a.TryGetInt64(out var used) && used >= 0 ? used : null;
            return new DiskImageInfo(format, bytes, actual);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
