using Dapper;

namespace Teehouse.Lite.Cvms;

public sealed partial class CvmStore
{
    /// <summary>
    /// Every CVM recorded for a teepod (gone ones included), by VM uuid, with the columns a sync compares and writes
    /// and none of its teepod's: an import of 10,000 VMs reads 10,000 narrow rows, not 10,000 copies of the teepod.
    /// </summary>
    internal async Task<Dictionary<string, CvmRow>> SyncRowsAsync(long teepodId)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<CvmRow>("""
            SELECT id, hashed_id, teepod_id, vm_uuid, app_id, instance_id, name, status, uptime, started_at, image, image_version,
                vcpu, memory, disk_size, compose_hash, kms_enabled, user_id, listed, in_progress, created_at, updated_at,
                last_synced_at, gone_at
            FROM cvms WHERE teepod_id = @teepodId
            """, new { teepodId });
        return rows.ToDictionary(r => r.VmUuid, StringComparer.Ordinal);
    }
}
