using System.Globalization;
using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Audit;

/// <summary>
/// What a read of the audit log narrows to: a user (by id or name: a name of digits is matched both ways), a target,
/// and a half-open time window [since, until) in stored form. Shared by <c>GET /api/v1/audit</c> and <c>teehouse audit</c>.
/// </summary>
public sealed partial record AuditFilter(string? User = null, long? UserId = null, string? Target = null, string? Since = null, string? Until = null)
{
    /// <summary>Reads the filters as sent; bad values are problems of <paramref name="v"/> (a 422 on the API).</summary>
    public static AuditFilter Parse(Validator v, string? user, string? target, string? since, string? until)
    {
        user = Blank(user);
        long? userId = user is not null && long.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
        var from = Time(v, "since", since);
        var to = Time(v, "until", until);
        return new AuditFilter(user, userId, Blank(target), from, to);
    }

    /// <summary>
    /// ISO-8601 only (a date, or a date and time with an optional <c>Z</c> or offset; no zone means UTC), so that
    /// "12/02/2026" is an error rather than a guess. Stored in <see cref="Clock.Format"/>, which sorts as text.
    /// </summary>
    private static string? Time(Validator v, string field, string? text)
    {
        if (Blank(text) is not { } value) return null;
        var parsed = default(DateTimeOffset);
        var ok = IsoTime().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out parsed);
        v.Require(ok, field, "Input should be an ISO-8601 UTC time such as 2026-01-21T09:30:00Z", "datetime_parsing");
        return ok ? Clock.ToText(parsed.UtcDateTime) : null;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|[+-]\d{2}:?\d{2})?)?$")]
    private static partial Regex IsoTime();
}
