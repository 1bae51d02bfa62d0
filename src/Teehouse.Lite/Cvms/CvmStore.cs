using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Cvms;

/// <summary>SQL for the cvms table.</summary>
public sealed class CvmStore(Db db)
{
    internal const string Columns = """
        c.id, c.teepod_id, c.vm_uuid, c.app_id, c.instance_id, c.name, c.status, c.uptime, c.image, c.image_version,
        c.vcpu, c.memory, c.disk_size, c.compose_hash, c.user_id, u.username, c.listed, c.in_progress, c.created_at,
        c.updated_at, c.last_synced_at, c.gone_at
        """;

    internal const string From = "FROM cvms c LEFT JOIN users u ON u.id = c.user_id";

    public Db Db => db;

    /// <summary>Every CVM recorded for a teepod (gone ones included), by VM uuid.</summary>
    public async Task<Dictionary<string, CvmRecord>> ForTeepodAsync(long teepodId)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<CvmRecord>($"SELECT {Columns} {From} WHERE c.teepod_id = @teepodId", new { teepodId });
        return rows.ToDictionary(r => r.VmUuid, StringComparer.Ordinal);
    }

    public async Task<List<CvmRecord>> ByAppIdAsync(long teepodId, string appId)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<CvmRecord>(
            $"SELECT {Columns} {From} WHERE c.teepod_id = @teepodId AND c.app_id = @appId ORDER BY c.id", new { teepodId, appId })).AsList();
    }

    /// <summary>Inserts a newly seen VM; a row another import inserted meanwhile wins (the next sync updates it).</summary>
    internal static Task InsertAsync(SqliteConnection c, SqliteTransaction tx, CvmRecord r) => c.ExecuteAsync("""
        INSERT INTO cvms (teepod_id, vm_uuid, app_id, instance_id, name, status, uptime, image, image_version, vcpu,
            memory, disk_size, compose_hash, user_id, listed, in_progress, created_at, updated_at, last_synced_at)
        VALUES (@TeepodId, @VmUuid, @AppId, @InstanceId, @Name, @Status, @Uptime, @Image, @ImageVersion, @Vcpu,
            @Memory, @DiskSize, @ComposeHash, @UserId, @Listed, @InProgress, @CreatedAt, @UpdatedAt, @LastSyncedAt)
        ON CONFLICT (teepod_id, vm_uuid) DO NOTHING
        """, r, tx);

    internal static Task UpdateObservedAsync(SqliteConnection c, SqliteTransaction tx, CvmRecord r) => c.ExecuteAsync("""
        UPDATE cvms SET app_id = @AppId, instance_id = @InstanceId, name = @Name, status = @Status, uptime = @Uptime,
            image = @Image, image_version = @ImageVersion, vcpu = @Vcpu, memory = @Memory, disk_size = @DiskSize,
            compose_hash = @ComposeHash, user_id = @UserId, listed = @Listed, updated_at = @UpdatedAt,
            last_synced_at = @LastSyncedAt, gone_at = @GoneAt
        WHERE id = @Id
        """, r, tx);

    /// <summary>
    /// Records a VM created through the API (deploy or new instance) as the caller's CVM. If an import recorded the VM
    /// meanwhile, that row is kept and given the owner.
    /// </summary>
    internal static Task<long> InsertCreatedAsync(SqliteConnection c, SqliteTransaction? tx, CreatedCvm cvm, VmInfo? info, string now) =>
        c.ExecuteScalarAsync<long>("""
            INSERT INTO cvms (teepod_id, vm_uuid, app_id, instance_id, name, status, uptime, image, image_version,
                vcpu, memory, disk_size, compose_hash, user_id, listed, in_progress, created_at, updated_at, last_synced_at)
            VALUES (@TeepodId, @VmUuid, @AppId, @instanceId, @Name, @status, @uptime, @Image, @imageVersion, @Vcpu,
                @Memory, @DiskSize, @ComposeHash, @UserId, @Listed, 0, @now, @now, @now)
            ON CONFLICT (teepod_id, vm_uuid) DO UPDATE SET user_id = COALESCE(cvms.user_id, excluded.user_id),
                listed = excluded.listed, updated_at = excluded.updated_at
            RETURNING id
            """, new
        {
            cvm.TeepodId, cvm.VmUuid, cvm.AppId, instanceId = string.IsNullOrEmpty(info?.InstanceId) ? null : info.InstanceId,
            cvm.Name, status = info?.Status ?? "running", uptime = info?.Uptime, cvm.Image, imageVersion = info?.ImageVersion,
            cvm.Vcpu, cvm.Memory, cvm.DiskSize, cvm.ComposeHash, cvm.UserId, cvm.Listed, now,
        }, tx);

    /// <summary>Marks VMs that vanished from their teepod as gone; the rows stay, so ownership and history are kept.</summary>
    internal async Task MarkGoneAsync(IReadOnlyCollection<long> ids, string now)
    {
        if (ids.Count == 0) return;
        await db.InTransactionAsync(async (c, tx) =>
        {
            foreach (var id in ids)
            {
                await c.ExecuteAsync(
                    "UPDATE cvms SET status = 'gone', gone_at = @now, updated_at = @now, uptime = NULL WHERE id = @id",
                    new { id, now }, tx);
            }
            return 0;
        });
    }
}

/// <summary>What the API asked the vmm to create, for <see cref="CvmStore.InsertCreatedAsync"/>.</summary>
public sealed record CreatedCvm(
    long TeepodId, string VmUuid, string AppId, string Name, string Image, long Vcpu, long Memory, long DiskSize,
    string ComposeHash, long UserId, bool Listed);
