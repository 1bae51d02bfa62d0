using System.Globalization;
using System.Text.RegularExpressions;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// What a <c>{cvm_id}</c> path segment may stand for. The official SDK rewrites ids before it sends them: a uuid loses
/// its dashes, and any 40-hex string becomes <c>app_&lt;hex&gt;</c> (also an instance id given as <c>instance_id</c>),
/// everything else (hashed id, numeric id, name, <c>instance_&lt;hex&gt;</c>) goes as it is.
/// </summary>
/// <param name="Raw">The segment as given: matched against the hashed id and the name.</param>
/// <param name="Numeric">The row id, when the segment is a decimal number.</param>
/// <param name="Uuid">The VM uuid in dstack's form (lowercase, dashed), when the segment is 32 hex with or without dashes.</param>
/// <param name="Hex40">The 40 hex of <c>app_&lt;hex&gt;</c> or a bare 40-hex string: an app id, or else an instance id.</param>
/// <param name="InstanceId">The hex of <c>instance_&lt;hex&gt;</c>.</param>
public sealed record CvmIdQuery(string Raw, long? Numeric, string? Uuid, string? Hex40, string? InstanceId);

/// <summary>How a candidate row matched a <see cref="CvmIdQuery"/>, strongest first.</summary>
public enum CvmIdMatch
{
    HashedId,
    Numeric,
    Uuid,
    AppId,
    InstanceId,
    Name,
}

public static partial class CvmIds
{
    /// <summary>Longest segment looked at; every real id form is far shorter.</summary>
    public const int MaxLength = 128;

    /// <summary>The literal routes next to <c>/api/v1/cvms/{cvm_id}</c> (here and in the deploy routes).</summary>
    private static readonly HashSet<string> SiblingRoutes = new(StringComparer.Ordinal) { "paginated", "provision", "instance-ids" };

    /// <summary>True for a segment that names another route under /api/v1/cvms, never a CVM.</summary>
    public static bool IsSiblingRoute(string segment) => SiblingRoutes.Contains(segment);

    public static CvmIdQuery Parse(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var raw = segment.Trim();
        long? numeric = DigitsOnly().IsMatch(raw) && long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

        string? uuid = null;
        if (UuidForm().IsMatch(raw))
        {
            var hex = raw.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
            uuid = $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
        }

        string? hex40 = null;
        var app = raw.StartsWith("app_", StringComparison.OrdinalIgnoreCase) ? raw[4..] : raw;
        if (AppIds.TryNormalize(app, out var appId)) hex40 = appId;

        string? instance = null;
        if (raw.StartsWith("instance_", StringComparison.OrdinalIgnoreCase) && HexOnly().IsMatch(raw[9..]))
            instance = raw[9..].ToLowerInvariant();

        return new CvmIdQuery(raw, numeric, uuid, hex40, instance);
    }

    /// <summary>How <paramref name="row"/> matches <paramref name="query"/> at best; null when it does not.</summary>
    public static CvmIdMatch? Match(CvmIdQuery query, CvmRow row)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(row);
        if (row.HashedId == query.Raw) return CvmIdMatch.HashedId;
        if (query.Numeric == row.Id) return CvmIdMatch.Numeric;
        if (query.Uuid is not null && string.Equals(row.VmUuid, query.Uuid, StringComparison.OrdinalIgnoreCase)) return CvmIdMatch.Uuid;
        if (query.Hex40 is not null && row.AppId == query.Hex40) return CvmIdMatch.AppId;
        if (query.InstanceId is not null && string.Equals(row.InstanceId, query.InstanceId, StringComparison.OrdinalIgnoreCase))
            return CvmIdMatch.InstanceId;
        // The SDK sends an instance id given as `instance_id: <40 hex>` as app_<hex>: fall back to it.
        if (query.Hex40 is not null && string.Equals(row.InstanceId, query.Hex40, StringComparison.OrdinalIgnoreCase))
            return CvmIdMatch.InstanceId;
        if (row.Name == query.Raw) return CvmIdMatch.Name;
        return null;
    }

    /// <summary>
    /// The row the query means among <paramref name="candidates"/> (rows any of whose ids matched; gone ones excluded
    /// by the caller): the strongest kind of match wins, and among rows that match the same way (several CVMs of one
    /// app, or sharing a name) the most recently created one.
    /// </summary>
    public static CvmRow? Pick(CvmIdQuery query, IEnumerable<CvmRow> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        CvmRow? best = null;
        CvmIdMatch bestMatch = default;
        foreach (var row in candidates)
        {
            if (Match(query, row) is not { } match) continue;
            if (best is null || match < bestMatch || (match == bestMatch && Newer(row, best)))
            {
                best = row;
                bestMatch = match;
            }
        }
        return best;
    }

    private static bool Newer(CvmRow a, CvmRow b)
    {
        var byTime = string.CompareOrdinal(a.CreatedAt, b.CreatedAt);
        return byTime != 0 ? byTime > 0 : a.Id > b.Id;
    }

    [GeneratedRegex("^[0-9]{1,18}$")]
    private static partial Regex DigitsOnly();

    [GeneratedRegex("^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    private static partial Regex UuidForm();

    [GeneratedRegex("^[0-9a-fA-F]{1,128}$")]
    private static partial Regex HexOnly();
}
