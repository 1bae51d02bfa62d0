using System.Text;
using System.Text.Json;

namespace Teehouse.Lite.Doctor;

public sealed record DoctorReport(string Config, IReadOnlyList<DoctorCheck> Checks)
{
    public int Passed => Checks.Count(c => c.Status == DoctorStatus.Pass);
    public int Failed => Checks.Count(c => c.Status == DoctorStatus.Fail);
    public int Skipped => Checks.Count(c => c.Status == DoctorStatus.Skip);
    public bool Healthy => Failed == 0;

    public string ToText()
    {
        var width = Math.Max(10, Checks.Max(c => c.Name.Length)) + 2;
        var text = new StringBuilder($"Teehouse Lite doctor (config {Config})\n");
        foreach (var c in Checks)
        {
            var mark = c.Status switch { DoctorStatus.Pass => "✓", DoctorStatus.Fail => "✗", _ => "–" };
            text.Append("  ").Append(mark).Append(' ').Append(c.Name.PadRight(width)).Append(c.Detail).Append('\n');
            if (c.Fix is not null) text.Append(' ', width + 4).Append("fix: ").Append(c.Fix).Append('\n');
        }
        text.Append($"{Passed} passed, {Failed} failed, {Skipped} skipped\n");
        return text.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(
        new DoctorDocument(Config, Healthy, Passed, Failed, Skipped,
            [.. Checks.Select(c => new DoctorRow(c.Name, c.Status.ToString().ToLowerInvariant(), c.Detail, c.Fix))]),
        DoctorJson.Default.DoctorDocument);
}

public sealed record DoctorRow(string Name, string Status, string Detail, string? Fix);

public sealed record DoctorDocument(string Config, bool Ok, int Passed, int Failed, int Skipped, List<DoctorRow> Checks);
