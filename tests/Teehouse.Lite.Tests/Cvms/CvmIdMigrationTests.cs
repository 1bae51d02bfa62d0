using System.Text.RegularExpressions;
using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>0003_cvm_ids: rows recorded before it get a hashed id, and every later insert gets one by itself.</summary>
public sealed class CvmIdMigrationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Existing_rows_are_backfilled_and_new_ones_filled_on_insert()
    {
        var db = new Db(_dir.File("t.db"), 1000);
        await using (var c = await db.OpenAsync())
        {
            // A database as the binary before 0003 left it, with CVMs in it.
            await c.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            foreach (var m in Migrator.All.Where(m => m.Version <= 2))
            {
                await c.ExecuteAsync(m.Sql);
                await c.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, 'then')", new { m.Version, m.Name });
            }
            await c.ExecuteAsync("INSERT INTO teepods (name, endpoint, created_at) VALUES ('t', 'http://t', 'then')");
            for (var i = 0; i < 50; i++)
            {
                await c.ExecuteAsync("""
                    INSERT INTO cvms (teepod_id, vm_uuid, app_id, name, status, created_at, updated_at)
                    VALUES (1, @uuid, 'a', 'n', 'running', 'then', 'then')
                    """, new { uuid = Guid.NewGuid().ToString() });
            }
        }

        await Migrator.MigrateAsync(db);

        await using var after = await db.OpenAsync();
        await after.ExecuteAsync("""
            INSERT INTO cvms (teepod_id, vm_uuid, app_id, name, status, created_at, updated_at)
            VALUES (1, 'new-vm', 'a', 'n', 'running', 'now', 'now')
            """);
        var ids = (await after.QueryAsync<string>("SELECT hashed_id FROM cvms")).ToList();
        Assert.Equal(51, ids.Count);
        Assert.All(ids, id => Assert.Matches(new Regex("^[0-9a-f]{16}$"), id));
        Assert.Equal(51, ids.Distinct().Count());

        // Stable: a later update of the row leaves it alone.
        var before = await after.ExecuteScalarAsync<string>("SELECT hashed_id FROM cvms WHERE vm_uuid = 'new-vm'");
        await after.ExecuteAsync("UPDATE cvms SET status = 'stopped' WHERE vm_uuid = 'new-vm'");
        Assert.Equal(before, await after.ExecuteScalarAsync<string>("SELECT hashed_id FROM cvms WHERE vm_uuid = 'new-vm'"));
    }
}
