using System.Globalization;
using System.Text;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// dstack-vmm's <c>uptime</c>: the time since the VM's process started, truncated to seconds and written by Rust's
/// <c>humantime::format_duration</c> ("1h 2m 3s", "2days 4h", "0s"), or "never". Knowing the start, an answer can say
/// the uptime at any moment, so a row need not be rewritten each time the pinger sees it tick.
/// </summary>
public static class VmUptime
{
    // humantime's calendar: a year is 365.25 days, a month 30.44 days.
    private const long SecondsPerYear = 31_557_600;
    private const long SecondsPerMonth = 2_630_016;
    private const long SecondsPerDay = 86_400;

    /// <summary>
    /// How far two derived starts may differ and still be the same start: the vmm truncates to seconds and our clock
    /// reads the answer a moment after it was written. A restart moves the start by far more.
    /// </summary>
    public const long ToleranceSeconds = 2;

    /// <summary>Whether two derived starts are one start (see <see cref="ToleranceSeconds"/>).</summary>
    public static bool SameStart(long a, long b) => Math.Abs(a - b) <= ToleranceSeconds;

    /// <summary>The unix second the process started, from an uptime seen at <paramref name="seenAt"/>; null if not a duration.</summary>
    public static long? StartedAt(string? uptime, DateTimeOffset seenAt) =>
        TryParseSeconds(uptime, out var seconds) ? seenAt.ToUnixTimeSeconds() - seconds : null;

    /// <summary>The uptime text the vmm would report at <paramref name="now"/> for a process started at <paramref name="startedAt"/>.</summary>
    public static string At(long startedAt, DateTimeOffset now) => Format(Math.Max(0, now.ToUnixTimeSeconds() - startedAt));

    public static string Format(long totalSeconds)
    {
        if (totalSeconds <= 0) return "0s";
        var years = totalSeconds / SecondsPerYear;
        var rest = totalSeconds % SecondsPerYear;
        var months = rest / SecondsPerMonth;
        rest %= SecondsPerMonth;
        var days = rest / SecondsPerDay;
        rest %= SecondsPerDay;

        var text = new StringBuilder(24);
        Append(text, years, years > 1 ? "years" : "year");
        Append(text, months, months > 1 ? "months" : "month");
        Append(text, days, days > 1 ? "days" : "day");
        Append(text, rest / 3600, "h");
        Append(text, rest % 3600 / 60, "m");
        Append(text, rest % 60, "s");
        return text.ToString();
    }

    /// <summary>Reads humantime's output back (whole seconds; the sub-second units dstack truncates away are accepted).</summary>
    public static bool TryParseSeconds(string? text, out long seconds)
    {
        seconds = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double total = 0;
        foreach (var part in parts)
        {
            var digits = 0;
            while (digits < part.Length && char.IsAsciiDigit(part[digits])) digits++;
            if (digits == 0 || digits > 18) return false;
            var value = long.Parse(part.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture);
            double? unit = part[digits..] switch
            {
                "years" or "year" or "y" => SecondsPerYear,
                "months" or "month" or "M" => SecondsPerMonth,
                "weeks" or "week" or "w" => 7 * SecondsPerDay,
                "days" or "day" or "d" => SecondsPerDay,
                "h" or "hr" or "hrs" or "hour" or "hours" => 3600,
                "m" or "min" or "mins" or "minute" or "minutes" => 60,
                "s" or "sec" or "secs" or "second" or "seconds" => 1,
                "ms" or "msec" => 1e-3,
                "us" or "usec" => 1e-6,
                "ns" or "nsec" => 1e-9,
                _ => null,
            };
            if (unit is null) return false;
            total += value * unit.Value;
        }
        if (total > long.MaxValue / 2) return false;
        seconds = (long)Math.Floor(total);
        return true;
    }

    private static void Append(StringBuilder text, long value, string unit)
    {
        if (value == 0) return;
        if (text.Length > 0) text.Append(' ');
        text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
    }
}
