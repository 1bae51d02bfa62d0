using System.Globalization;
using System.Text.Json;

namespace Teehouse.Lite.Infrastructure.Processes;

/// <summary>The TDX measurements of a guest image booted with a given vCPU count and memory (48-byte SHA-384 values, hex).</summary>
public sealed record TdxMeasurements(string Mrtd, string Rtmr0, string Rtmr1, string Rtmr2);

/// <summary>
/// <c>dstack-mr measure --cpu N --memory NM --json &lt;metadata.json&gt;</c>: what MRTD and RTMR0-2 a CVM of that size
/// will report, computed from the image files. The other machine options are left at dstack-mr's defaults, which
/// are dstack-vmm's for a plain CVM (no GPUs, no hugepages).
/// </summary>
public static class DstackMr
{
    public const string Tool = "dstack-mr";

    public static IReadOnlyList<string> Arguments(string metadataPath, int vcpu, long memoryMb) =>
        ["measure", "--cpu", vcpu.ToString(CultureInfo.InvariantCulture),
            "--memory", memoryMb.ToString(CultureInfo.InvariantCulture) + "M", "--json", metadataPath];

    public static async Task<TdxMeasurements> MeasureAsync(
        LocalTools tools, string metadataPath, int vcpu, long memoryMb, TimeSpan timeout, CancellationToken ct)
    {
        var output = await tools.RunAsync(Tool, Arguments(metadataPath, vcpu, memoryMb), timeout, ct);
        return Parse(output.Stdout)
            ?? throw new ToolException(Tool, ToolFailure.Failed, $"{Tool} printed no measurements: {LocalTools.FirstLine(output.Stdout) ?? "no output"}");
    }

    /// <summary>
    /// The JSON object in <paramref name="stdout"/>. dstack-mr sets up a tracing subscriber that writes to stdout, so
    /// log lines may come before the object: the object is taken from the first <c>{</c> to the last <c>}</c>.
    /// </summary>
    public static TdxMeasurements? Parse(string stdout)
    {
        var start = stdout.IndexOf('{');
        var end = stdout.LastIndexOf('}');
        if (start < 0 || end < start) return null;
        try
        {
            using var doc = JsonDocument.Parse(stdout.AsMemory(start, end - start + 1));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            string? Hex(string name) =>
                doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                && v.GetString() is { Length: 96 } s && s.All(char.IsAsciiHexDigit) ? s.ToLowerInvariant() : null;
            var (mrtd, r0, r1, r2) = (Hex("mrtd"), Hex("rtmr0"), Hex("rtmr1"), Hex("rtmr2"));
            return mrtd is null || r0 is null || r1 is null || r2 is null ? null : new TdxMeasurements(mrtd, r0, r1, r2);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
