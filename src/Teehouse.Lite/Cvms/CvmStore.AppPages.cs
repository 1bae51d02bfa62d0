using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;

using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Which apps /apps lists; each filter keeps an app that has at least one visible CVM matching it.
/// <paramref name="Search"/>: part of the app id or of a CVM name, ignoring case (trimmed, null = none);
/// <paramref name="Statuses"/>: a CVM in one of them (empty = none); <paramref name="Listed"/>: a CVM listed or not.
/// </summary>
public sealed record AppListFilter(string? Search, IReadOnlyCollection<string> Statuses, bool? Listed)
{
    public static readonly AppListFilter None = new(null, [], null);
}

/// <summary>One app of a page: its id and its visible CVMs, newest first.</summary>
public sealed record AppRows(string AppId, List<CvmRow> Rows);

/// <summary>
/// /apps in SQL: apps are the caller's visible CVMs grouped by app id, ordered by their newest CVM (created_at DESC,
/// id DESC). A CVM stands for its app when no newer visible CVM has its app id (one probe of the app index), so a
/// page walks the CVMs newest first and stops after the page's apps; a second join brings those apps' CVMs. Filters
/// are EXISTS probes per candidate app. One statement per owner and filter combination, none with "NULL = no filter".
/// </summary>
public sealed partial class CvmStore
{
    /// <summary>Registered on the connection of a search: exactly .NET's OrdinalIgnoreCase (SQLite's LIKE folds only ASCII).</summary>
    internal const string ContainsFunction = "teehouse_contains";

    /// <summary>The statement that selects the page's apps (app_id, and its newest CVM's created_at and id) in order.</summary>
    internal static string AppPageSql(bool ofUser, AppFilterShape shape) =>
        $"{AppCandidates(ofUser, shape)} ORDER BY r.created_at DESC, r.id DESC LIMIT @limit OFFSET @offset";

    /// <summary>
    /// The page's apps' visible CVMs, apps in page order, each app's CVMs newest first. CROSS JOIN keeps the page the
    /// outer loop (a probe of the app index per app); left to itself SQLite may walk all of a user's CVMs instead. The
    /// sort is of the page's rows only.
    /// </summary>
    internal static string AppRowsSql(bool ofUser, AppFilterShape shape) => $"""
        WITH page AS ({AppPageSql(ofUser, shape)})
        SELECT {ListColumns}
        FROM page p CROSS JOIN cvms c ON c.app_id = p.app_id
        {ListJoins}
        WHERE {VisibleAs("c", ofUser)}
        ORDER BY p.created_at DESC, p.id DESC, c.created_at DESC, c.id DESC
        """;

    internal static string AppCountSql(bool ofUser, AppFilterShape shape) =>
        shape == AppFilterShape.None
            ? $"SELECT COUNT(DISTINCT r.app_id) FROM cvms r WHERE {VisibleAs("r", ofUser)}"
            : $"SELECT COUNT(*) FROM ({AppCandidates(ofUser, shape)})";

    /// <summary>One page of apps and the number of apps the filters let through.</summary>
    public async Task<(List<AppRows> Apps, long Total)> AppPageAsync(
        TeepodReadModel? teepods, CvmScope scope, AppListFilter filter, int page, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var shape = AppFilterShapes.Of(filter);
        var ofUser = scope.OwnerId is not null;
        string? statuses = filter.Statuses.Count == 0 ? null : JsonSerializer.Serialize(filter.Statuses.ToList(), CvmsJson.Default.ListString);
        var args = new
        {
            userId = scope.OwnerId,
            search = filter.Search,
            statuses,
            listed = filter.Listed,
            limit = pageSize,
            offset = (long)(page - 1) * pageSize,
        };
        await using var c = await db.OpenAsync();
        if (filter.Search is not null) AddContainsFunction(c);
        var total = await c.ExecuteScalarAsync<long>(AppCountSql(ofUser, shape), args);
        var rows = total == 0 ? [] : (await c.QueryAsync<CvmRow>(AppRowsSql(ofUser, shape), args)).AsList();
        FillImages(teepods, rows);
        return (Group(rows), total);
    }

    /// <summary>Rows arrive app by app: consecutive runs of one app id are its CVMs.</summary>
    private static List<AppRows> Group(List<CvmRow> rows)
    {
        var apps = new List<AppRows>();
        foreach (var row in rows)
        {
            if (apps.Count == 0 || !string.Equals(apps[^1].AppId, row.AppId, StringComparison.Ordinal)) apps.Add(new AppRows(row.AppId, []));
            apps[^1].Rows.Add(row);
        }
        return apps;
    }

    internal static void AddContainsFunction(SqliteConnection c) =>
        c.CreateFunction(ContainsFunction, (string? text, string? part) =>
            text is not null && part is not null && text.Contains(part, StringComparison.OrdinalIgnoreCase), isDeterministic: true);

    private static string VisibleAs(string alias, bool ofUser) =>
        ofUser ? $"{alias}.status <> 'gone' AND {alias}.user_id = @userId" : $"{alias}.status <> 'gone'";

    /// <summary>The newest visible CVM of each app that passes the filters: one row per app, unordered.</summary>
    private static string AppCandidates(bool ofUser, AppFilterShape shape)
    {
        var sql = new StringBuilder($"""
            SELECT r.app_id, r.created_at, r.id FROM cvms r
            WHERE {VisibleAs("r", ofUser)}
                AND NOT EXISTS (SELECT 1 FROM cvms n WHERE n.app_id = r.app_id AND {VisibleAs("n", ofUser)}
                    AND (n.created_at, n.id) > (r.created_at, r.id))
            """);
        var some = $"SELECT 1 FROM cvms m WHERE m.app_id = r.app_id AND {VisibleAs("m", ofUser)}";
        if (shape.HasFlag(AppFilterShape.Search))
            sql.Append($"\n    AND ({ContainsFunction}(r.app_id, @search) OR EXISTS ({some} AND {ContainsFunction}(m.name, @search)))");
        if (shape.HasFlag(AppFilterShape.Statuses))
            sql.Append($"\n    AND EXISTS ({some} AND m.status IN (SELECT value FROM json_each(@statuses)))");
        if (shape.HasFlag(AppFilterShape.Listed))
            sql.Append($"\n    AND EXISTS ({some} AND (m.listed <> 0) = @listed)");
        return sql.ToString();
    }
}

/// <summary>Which of /apps' filters a request uses: each combination is its own statement.</summary>
[Flags]
public enum AppFilterShape
{
    None = 0,
    Search = 1,
    Statuses = 2,
    Listed = 4,
}

public static class AppFilterShapes
{
    public static AppFilterShape Of(AppListFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return (filter.Search is null ? AppFilterShape.None : AppFilterShape.Search)
               | (filter.Statuses.Count == 0 ? AppFilterShape.None : AppFilterShape.Statuses)
               | (filter.Listed is null ? AppFilterShape.None : AppFilterShape.Listed);
    }

    /// <summary>Every combination, for the tests that read each statement's plan.</summary>
    public static IEnumerable<AppFilterShape> All => Enumerable.Range(0, 8).Select(i => (AppFilterShape)i);
}
