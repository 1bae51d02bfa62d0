using System.Text;

namespace Teehouse.Lite.Simulator;

/// <summary>
/// Formats elapsed durations the way Rust's <c>humantime::format_duration</c> does after dstack
/// truncates them to whole seconds ("1h 2m 3s", "2days 4h", "0s"), so clients parse the same text
/// the real VMM emits.
/// </summary>
public static class Humantime
{
    // humantime's calendar approximations: a year is 365.25 days and a month 30.44 days.
    private const ulong SecondsPerYear = 31_557_600;
    private const ulong SecondsPerMonth = 2_630_016;
    private const ulong SecondsPerDay = 86_400;

    /// <summary>The literal dstack reports when the supervisor has no timestamp.</summary>
    public const string Never = "never";

    public static string Format(TimeSpan elapsed)
    {
        var secs = elapsed <= TimeSpan.Zero ? 0UL : (ulong)Math.Floor(elapsed.TotalSeconds);
        return Format(secs);
    }

    public static string Format(ulong totalSeconds)
    {
        if (totalSeconds == 0)
        {
            return "0s";
        }

        var years = totalSeconds / SecondsPerYear;
        var yearRemainder = totalSeconds % SecondsPerYear;
        var months = yearRemainder / SecondsPerMonth;
        var monthRemainder = yearRemainder % SecondsPerMonth;
        var days = monthRemainder / SecondsPerDay;
        var daySeconds = monthRemainder % SecondsPerDay;

        var sb = new StringBuilder();
        AppendPlural(sb, years, "year");
        AppendPlural(sb, months, "month");
        AppendPlural(sb, days, "day");
        AppendUnit(sb, daySeconds / 3600, "h");
        AppendUnit(sb, daySeconds % 3600 / 60, "m");
        AppendUnit(sb, daySeconds % 60, "s");
        return sb.ToString();
    }

    /// <summary>Elapsed time since <paramref name="since"/> or <see cref="Never"/> when absent.</summary>
    public static string Since(DateTimeOffset? since, DateTimeOffset now) =>
        since is { } ts ? Format(now - ts) : Never;

    private static void AppendPlural(StringBuilder sb, ulong value, string name)
    {
        if (value == 0)
        {
            return;
        }

        AppendUnit(sb, value, name);
        if (value > 1)
        {
            sb.Append('s');
        }
    }

    private static void AppendUnit(StringBuilder sb, ulong value, string name)
    {
        if (value == 0)
        {
            return;
        }

        if (sb.Length > 0)
        {
            sb.Append(' ');
        }

        sb.Append(value).Append(name);
    }
}
