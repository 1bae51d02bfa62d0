using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Infrastructure;

public sealed class MigratorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_new_database_gets_every_migration_in_wal_mode()
    {
        var db = new Db(_dir.File("sub/dir/t.db"), 1000);
        Assert.Equal(Migrator.All.Count, await Migrator.MigrateAsync(db));
        await using var c = await db.OpenAsync();
        Assert.Equal(Migrator.LatestVersion, await Migrator.CurrentVersionAsync(c));
        Assert.Equal("wal", await c.ExecuteScalarAsync<string?>("PRAGMA journal_mode"));
        Assert.Equal(1, await c.ExecuteScalarAsync<int>("PRAGMA foreign_keys"));
        Assert.Equal(1, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'teepods'"));
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing_and_keeps_data()
    {
        var db = new Db(_dir.File("t.db"), 1000);
        await Migrator.MigrateAsync(db);
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO users (username, role, created_at) VALUES ('keep', 'user', 'now')");
        Assert.Equal(0, await Migrator.MigrateAsync(db));
        await using var c2 = await db.OpenAsync();
        Assert.Equal(1, await c2.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM users WHERE username = 'keep'"));
    }

    [Fact]
    public async Task A_database_from_a_newer_binary_is_refused_untouched()
    {
        var db = new Db(_dir.File("t.db"), 1000);
        await Migrator.MigrateAsync(db);
        var future = Migrator.LatestVersion + 1;
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@future, 'future', 'now')", new { future });

        var error = await Assert.ThrowsAsync<SchemaTooNewException>(() => Migrator.MigrateAsync(db));
        Assert.Contains($"schema version {future} is newer than this teehouse supports ({Migrator.LatestVersion})", error.Message);
    }

    [Fact]
    public void Migrations_are_numbered_without_gaps()
    {
        Assert.NotEmpty(Migrator.All);
        Assert.Equal(Enumerable.Range(1, Migrator.All.Count), Migrator.All.Select(m => m.Version));
    }

    [Fact]
    public async Task A_failing_transaction_leaves_nothing_behind()
    {
        var db = new Db(_dir.File("t.db"), 1000);
        await Migrator.MigrateAsync(db);
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.InTransactionAsync<int>(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO users (username, role, created_at) VALUES ('half', 'user', 'now')", transaction: tx);
            throw new InvalidOperationException("boom");
        }));
        await using var c = await db.OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM users"));
    }
}
