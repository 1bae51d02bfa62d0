using System.Globalization;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>Timestamps are stored as ISO-8601 UTC text with milliseconds, the form the contract shows and SQLite sorts correctly.</summary>
public static class Clock
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string NowText() => ToText(DateTime.UtcNow);

    public static string ToText(DateTime utc) => utc.ToUniversalTime().ToString(Format, CultureInfo.InvariantCulture);
}
