using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Audit;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Tests.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Audit;

/// <summary>
/// Every filter combination of GET /api/v1/audit, planned with EXPLAIN QUERY PLAN from the statements the store runs:
/// a page walks an index of migration 0016 in answer order (no sort of every match, no table scan), so the audit log
/// of a busy year pages as fast as an empty one.
/// </summary>
public sealed class AuditPlanTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private SqliteConnection _c = null!;

    public async ValueTask InitializeAsync()
    {
        var db = new Db(_dir.File("t.db"), 5000);
        await Migrator.MigrateAsync(db);
        _c = await db.OpenAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _c.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>user: none, a name, or digits (an id or a name); then target and time window on or off.</summary>
    public static TheoryData<string, bool, bool> Filters()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var user in new[] { "", "alice", "42" })
        foreach (var target in new[] { false, true })
        foreach (var window in new[] { false, true })
            data.Add(user, target, window);
        return data;
    }

    private static AuditFilter FilterOf(string user, bool target, bool window) => new(
        User: user.Length == 0 ? null : user,
        UserId: long.TryParse(user, out var id) ? id : null,
        Target: target ? "7" : null,
        Since: window ? "2026-01-01T00:00:00.000Z" : null,
        Until: window ? "2026-12-01T00:00:00.000Z" : null);

    [Theory]
    [MemberData(nameof(Filters))]
    public void A_page_walks_an_index_newest_first(string user, bool target, bool window)
    {
        var plan = Plan(AuditStore.PageSql(FilterOf(user, target, window)));
        var text = string.Join('\n', plan);
        Assert.DoesNotContain("USE TEMP B-TREE FOR ORDER BY", text);
        Assert.DoesNotContain(plan, l => Regex.IsMatch(l.Trim(), "^SCAN audit_log$"));
        Assert.Contains(plan, l => Regex.IsMatch(l.Trim(), "^(SCAN|SEARCH) audit_log USING (COVERING )?INDEX audit_log_"));
        // Digits are matched as an id and as a name: both indexes, merged in order.
        if (user == "42" && !target) Assert.Contains("MERGE (UNION)", text);
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public void A_count_never_scans_the_table(string user, bool target, bool window)
    {
        var plan = Plan(AuditStore.CountSql(FilterOf(user, target, window)));
        if (user.Length == 0 && !target && !window) return; // the whole table is the answer; SQLite counts the smallest index
        Assert.DoesNotContain(plan, l => Regex.IsMatch(l.Trim(), "^SCAN audit_log$"));
    }

    private List<string> Plan(string sql) => QueryPlan.Of(_c, sql, name => name switch
    {
        "@UserId" => 42L,
        "@Limit" => 50L,
        "@Offset" => 0L,
        _ => "x",
    });
}
