using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Tests.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// The list statements' query plans, read with EXPLAIN QUERY PLAN from the very strings the store runs on a migrated
/// database: each walks its own index of migration 0015 in answer order (no sort of every visible row, no full scan
/// of cvms), so a plan regression fails here without any timing.
/// </summary>
public sealed class ListPlanTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private SqliteConnection _c = null!;

    public async ValueTask InitializeAsync()
    {
        var db = new Db(_dir.File("t.db"), 5000);
        await Migrator.MigrateAsync(db);
        _c = await db.OpenAsync();
        CvmStore.AddContainsFunction(_c);
    }

    public async ValueTask DisposeAsync()
    {
        await _c.DisposeAsync();
        _dir.Dispose();
    }

    public static TheoryData<string, string> Pages => new()
    {
        { "admin", "cvms_visible" },
        { "user", "cvms_visible_user" },
        { "admin+teepod", "cvms_visible_teepod" },
        { "user+teepod", "cvms_visible_user_teepod" },
    };

    private static CvmListFilter FilterOf(string combination) => combination switch
    {
        "admin" => new(null, null),
        "user" => new(2, null),
        "admin+teepod" => new(null, 1),
        _ => new(2, 1),
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public void A_page_walks_its_index_in_answer_order(string combination, string index)
    {
        var plan = Plan(CvmStore.ListSql(FilterOf(combination)).Page);
        AssertUses(plan, "c", index);
        AssertNoSortNorScan(plan);
    }

    /// <summary>Any of the partial indexes holds every visible row with its status: the count never reads the table.</summary>
    [Theory]
    [MemberData(nameof(Pages))]
    public void A_count_reads_only_an_index(string combination, string index)
    {
        _ = index;
        var plan = Plan(CvmStore.ListSql(FilterOf(combination)).Count);
        AssertUses(plan, "c", "cvms_visible[a-z_]*", covering: true);
        AssertNoSortNorScan(plan);
    }

    [Fact]
    public void An_apps_cvms_are_read_through_the_app_index()
    {
        var admin = Plan(CvmStore.AppCvmsSql);
        AssertUses(admin, "c", "cvms_visible_app");
        AssertNoSortNorScan(admin);
        var user = Plan(CvmStore.AppCvmsOfUserSql);
        AssertUses(user, "c", "cvms_visible_user_app");
        AssertNoSortNorScan(user);
    }

    [Fact]
    public void A_new_instance_reads_its_apps_cvms_through_the_app_index_too()
    {
        var plan = Plan(CvmStore.ForAppSql);
        AssertUses(plan, "c", "cvms_visible_app");
        AssertNoSortNorScan(plan);
    }

    [Fact]
    public void The_hosted_listing_reads_one_teepods_rows_by_its_key()
    {
        var plan = Plan(CvmStore.HostedRecordsSql);
        AssertUses(plan, "c", "sqlite_autoindex_cvms_1");
        AssertNoSortNorScan(plan);
    }

    public static TheoryData<bool, AppFilterShape> AppShapes()
    {
        var data = new TheoryData<bool, AppFilterShape>();
        foreach (var ofUser in new[] { false, true })
            foreach (var shape in AppFilterShapes.All) data.Add(ofUser, shape);
        return data;
    }

    /// <summary>
    /// A page of apps walks the CVMs newest first (the user's through their index) and asks the app index, without
    /// the table, whether a newer CVM of the app exists: it stops after the page, whatever the filters.
    /// </summary>
    [Theory]
    [MemberData(nameof(AppShapes))]
    public void A_page_of_apps_walks_the_cvms_newest_first(bool ofUser, AppFilterShape shape)
    {
        var plan = Plan(CvmStore.AppPageSql(ofUser, shape));
        AssertUses(plan, "r", ofUser ? "cvms_visible_user" : "cvms_visible");
        AssertUses(plan, "n", ofUser ? "cvms_visible_user_app" : "cvms_visible_app", covering: true, range: true);
        AssertNoSortNorScan(plan);
    }

    /// <summary>The page is the outer loop; each of its apps' CVMs come from one probe of the app index.</summary>
    [Theory]
    [MemberData(nameof(AppShapes))]
    public void A_page_of_apps_reads_only_those_apps_cvms(bool ofUser, AppFilterShape shape)
    {
        var plan = Plan(CvmStore.AppRowsSql(ofUser, shape));
        var outer = plan.FindIndex(l => l == "SCAN p");
        var inner = plan.FindIndex(l => Regex.IsMatch(l, "^SEARCH c USING INDEX cvms_[a-z_]*app[a-z_]* \\((user_id=\\? AND )?app_id=\\?\\)$"));
        Assert.True(outer >= 0 && inner > outer, $"expected the page outside, c by app inside:\n{string.Join('\n', plan)}");
        // Only the page's rows are sorted, and only by their CVM within their app.
        AssertNoSortNorScan(plan, except: "p");
    }

    [Theory]
    [MemberData(nameof(AppShapes))]
    public void Counting_apps_reads_only_indexes(bool ofUser, AppFilterShape shape)
    {
        var plan = Plan(CvmStore.AppCountSql(ofUser, shape));
        AssertUses(plan, "r", ofUser ? "cvms_visible_user[a-z_]*" : "cvms_visible[a-z_]*", covering: true);
        AssertNoSortNorScan(plan);
    }

    private List<string> Plan(string sql) => QueryPlan.Of(_c, sql, name => name switch
    {
        "@userId" => 2L,
        "@teepodId" => 1L,
        "@ownerId" => 2L,
        "@limit" => 50L,
        "@offset" => 0L,
        "@appId" => new string('a', 40),
        "@search" => "web",
        "@statuses" => """["running"]""",
        "@listed" => 1L,
        _ => DBNull.Value,
    });

    private static void AssertUses(List<string> plan, string alias, string index, bool covering = false, bool range = false)
    {
        var pattern = $"^(SCAN|SEARCH) {alias} (EXISTS )?USING {(covering ? "COVERING " : "(COVERING )?")}INDEX {index}"
                      + (range ? " \\(.*created_at>\\?\\)$" : "( |$)");
        Assert.True(plan.Any(l => Regex.IsMatch(l.Trim(), pattern)), $"expected {alias} through {index}{(covering ? " alone" : "")}:\n{string.Join('\n', plan)}");
    }

    /// <summary>No sort of every row the filters let through (a sort within one page's groups is fine), no table scan.</summary>
    private static void AssertNoSortNorScan(List<string> plan, string? except = null)
    {
        var text = string.Join('\n', plan);
        Assert.False(plan.Any(l => l.Trim() == "USE TEMP B-TREE FOR ORDER BY"), $"sorts every row:\n{text}");
        Assert.False(plan.Any(l => Regex.IsMatch(l.Trim(), "^SCAN [a-z]+$") && l.Trim() != $"SCAN {except}"), $"scans a table:\n{text}");
    }
}
