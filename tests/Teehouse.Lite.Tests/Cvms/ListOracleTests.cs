using Dapper;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// The SQL lists against the in-memory algorithm they replaced (kept here as the oracle: all visible rows newest
/// first, grouped by app id in order of first appearance, filtered per app, then paged), on random databases full of
/// ties in created_at, apps shared between owners, gone rows and names that only Unicode case folding matches.
/// </summary>
public sealed class ListOracleTests : IAsyncLifetime
{
    private static readonly string[] Statuses = ["running", "stopped", "exited", "gone", "removing", "starting"];
    private static readonly string[] Names = ["web", "Web-API", "ärger", "ÄRGER-2", "fıx", "FIX", "db", "straße", "Sträße"];

    private readonly TempDir _dir = new();
    private Db _db = null!;
    private CvmStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _db = new Db(_dir.File("t.db"), 5000);
        await Migrator.MigrateAsync(_db);
        _store = new CvmStore(_db);
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    internal sealed class Row
    {
        public long Id { get; set; }
        public string AppId { get; set; } = "";
        public long? UserId { get; set; }
        public long TeepodId { get; set; }
        public string Name { get; set; } = "";
        public string Status { get; set; } = "";
        public bool Listed { get; set; }
        public string CreatedAt { get; set; } = "";
    }

    private async Task<List<Row>> SeedAsync(int seed, int count)
    {
        var random = new Random(seed);
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync("""
            INSERT INTO users (id, username, role, created_at) VALUES (1, 'u1', 'user', 'x'), (2, 'u2', 'user', 'x'), (3, 'u3', 'user', 'x');
            INSERT INTO teepods (id, name, endpoint, created_at) VALUES (1, 't1', 'http://127.0.0.1:1', 'x'), (2, 't2', 'http://127.0.0.1:2', 'x');
            """);
        for (var i = 0; i < count; i++)
        {
            long? owner = random.Next(4) switch { 0 => null, var n => n };
            await c.ExecuteAsync("""
                INSERT INTO cvms (teepod_id, vm_uuid, app_id, name, status, user_id, listed, created_at, updated_at)
                VALUES (@teepod, @uuid, @appId, @name, @status, @owner, @listed, @createdAt, 'x')
                """, new
            {
                teepod = 1 + random.Next(2),
                uuid = $"vm-{i}",
                appId = $"app{random.Next(count / 8):d3}-{(char)('a' + random.Next(2))}",
                name = $"{Names[random.Next(Names.Length)]}-{random.Next(5)}",
                status = Statuses[random.Next(Statuses.Length)],
                owner,
                listed = random.Next(3) == 0,
                // A dozen instants for all the rows: most of the order falls to the id.
                createdAt = $"2025-01-01T00:00:{random.Next(12):d2}Z",
            });
        }
        return (await c.QueryAsync<Row>("SELECT id, app_id, user_id, teepod_id, name, status, listed, created_at FROM cvms")).AsList();
    }

    private static IEnumerable<Row> Visible(IEnumerable<Row> rows, long? owner) =>
        rows.Where(r => r.Status != "gone" && (owner is null || r.UserId == owner))
            .OrderByDescending(r => r.CreatedAt, StringComparer.Ordinal).ThenByDescending(r => r.Id);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Cvm_pages_match_the_oracle(int seed)
    {
        var rows = await SeedAsync(seed, 160);
        foreach (var owner in new long?[] { null, 1, 2 })
            foreach (var userId in new long?[] { null, 1, 3 })
                foreach (var teepodId in new long?[] { null, 2 })
                    foreach (var (page, size) in new[] { (1, 7), (3, 7), (2, 50), (40, 7) })
                    {
                        var (items, total) = await _store.PageAsync(null, new CvmScope(owner), userId, teepodId, page, size);
                        var expected = Visible(rows, owner).Where(r => (userId is null || r.UserId == userId) && (teepodId is null || r.TeepodId == teepodId)).ToList();
                        var what = $"owner {owner} user {userId} teepod {teepodId} page {page}/{size}";
                        Assert.True(expected.Count == total, what);
                        Assert.True(expected.Skip((page - 1) * size).Take(size).Select(r => r.Id).SequenceEqual(items.Select(r => r.Id)), what);
                    }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task App_pages_match_the_oracle(int seed)
    {
        var rows = await SeedAsync(seed, 200);
        var filters = new List<AppListFilter> { AppListFilter.None };
        foreach (var search in new[] { "ÄRGER", "fix", "FIX", "app01", "-B", "straße", "web-api-3", "nothing" })
            filters.Add(new(search, [], null));
        filters.Add(new(null, ["stopped"], null));
        filters.Add(new(null, ["exited", "removing"], null));
        filters.Add(new(null, ["gone"], null));
        filters.Add(new(null, [], true));
        filters.Add(new(null, [], false));
        filters.Add(new("web", ["running", "starting"], true));
        filters.Add(new("a", ["stopped"], false));
        foreach (var owner in new long?[] { null, 1, 3 })
            foreach (var filter in filters)
                foreach (var (page, size) in new[] { (1, 5), (2, 5), (4, 3), (1, 100), (60, 5) })
                {
                    var (apps, total) = await _store.AppPageAsync(null, new CvmScope(owner), filter, page, size);
                    var expected = Oracle(rows, owner, filter);
                    var what = $"owner {owner} search {filter.Search} statuses {string.Join(',', filter.Statuses)} listed {filter.Listed} page {page}/{size}";
                    Assert.True(expected.Count == total, $"{what}: {total} apps, expected {expected.Count}");
                    var page0 = expected.Skip((page - 1) * size).Take(size).ToList();
                    Assert.Equal(page0.Select(a => a.AppId), apps.Select(a => a.AppId));
                    for (var i = 0; i < page0.Count; i++)
                        Assert.True(page0[i].Rows.Select(r => r.Id).SequenceEqual(apps[i].Rows.Select(r => r.Id)), $"{what}: rows of {page0[i].AppId}");
                }
    }

    /// <summary>AppsModule.List before it moved into SQL.</summary>
    private static List<(string AppId, List<Row> Rows)> Oracle(List<Row> rows, long? owner, AppListFilter filter) =>
        Visible(rows, owner)
            .GroupBy(r => r.AppId, StringComparer.Ordinal).Select(g => (AppId: g.Key, Rows: g.ToList()))
            .Where(a => filter.Search is null || a.AppId.Contains(filter.Search, StringComparison.OrdinalIgnoreCase)
                        || a.Rows.Any(r => r.Name.Contains(filter.Search, StringComparison.OrdinalIgnoreCase)))
            .Where(a => filter.Statuses.Count == 0 || a.Rows.Any(r => filter.Statuses.Contains(r.Status)))
            .Where(a => filter.Listed is not { } l || a.Rows.Any(r => r.Listed == l))
            .ToList();

    [Fact]
    public async Task The_search_folds_case_as_dotnet_does()
    {
        // Not what SQLite's LIKE does (ASCII only): Ä and ä are one letter here, as in the in-memory filter.
        await SeedAsync(9, 40);
        await using (var c = await _db.OpenAsync())
            await c.ExecuteAsync("UPDATE cvms SET name = 'Ärger-only' WHERE id = 1; UPDATE cvms SET status = 'running' WHERE id = 1");
        var (apps, _) = await _store.AppPageAsync(null, CvmScope.Everyone, new AppListFilter("äRGER-ONLY", [], null), 1, 10);
        Assert.Single(apps);
        Assert.Contains(apps[0].Rows, r => r.Id == 1);
    }
}
