using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>What the API asked the vmm to create, for <see cref="CvmStore.InsertCreatedAsync"/>.</summary>
public sealed record CreatedCvm(
    long TeepodId, string VmUuid, string AppId, string Name, string Image, long Vcpu, long Memory, long DiskSize,
    string ComposeHash, long UserId, bool Listed, bool? KmsEnabled);

public sealed partial class CvmStore
{
    /// <summary>
    /// Inserts a newly seen VM; a row another import inserted meanwhile wins (the next sync updates it). The hashed id
    /// is drawn here, as the insert trigger of 0003 would, so a bulk import writes each row once instead of twice.
    /// </summary>
    internal const string InsertObservedSql = """
        INSERT INTO cvms (hashed_id, teepod_id, vm_uuid, app_id, instance_id, name, status, uptime, started_at, image, image_version,
            vcpu, memory, disk_size, compose_hash, kms_enabled, user_id, listed, in_progress, created_at, updated_at, last_synced_at)
        VALUES (lower(hex(randomblob(8))), @TeepodId, @VmUuid, @AppId, @InstanceId, @Name, @Status, @Uptime, @StartedAt, @Image,
            @ImageVersion, @Vcpu, @Memory, @DiskSize, @ComposeHash, @KmsEnabled, @UserId, @Listed, @InProgress, @CreatedAt,
            @UpdatedAt, @LastSyncedAt)
        ON CONFLICT (teepod_id, vm_uuid) DO NOTHING
        """;

    internal const string UpdateObservedSql = """
        UPDATE cvms SET app_id = @AppId, instance_id = @InstanceId, name = @Name, status = @Status, uptime = @Uptime,
            started_at = @StartedAt, image = @Image, image_version = @ImageVersion, vcpu = @Vcpu, memory = @Memory,
            disk_size = @DiskSize, compose_hash = @ComposeHash, kms_enabled = @KmsEnabled, user_id = @UserId, listed = @Listed,
            updated_at = @UpdatedAt, last_synced_at = @LastSyncedAt, gone_at = @GoneAt
        WHERE id = @Id
        """;

    /// <summary>
    /// Records a VM created through the API (deploy or new instance) as the caller's CVM. If an import recorded the VM
    /// meanwhile, that row is kept and given the owner.
    /// </summary>
    internal static Task<long> InsertCreatedAsync(SqliteConnection c, SqliteTransaction tx, CreatedCvm cvm, VmInfo? info, string now) =>
        c.ExecuteScalarAsync<long>("""
            INSERT INTO cvms (teepod_id, vm_uuid, app_id, instance_id, name, status, uptime, started_at, image, image_version,
                vcpu, memory, disk_size, compose_hash, kms_enabled, user_id, listed, in_progress, created_at, updated_at,
                last_synced_at)
            VALUES (@TeepodId, @VmUuid, @AppId, @instanceId, @Name, @status, @uptime, @startedAt, @Image, @imageVersion, @Vcpu,
                @Memory, @DiskSize, @ComposeHash, @KmsEnabled, @UserId, @Listed, 0, @now, @now, @now)
            ON CONFLICT (teepod_id, vm_uuid) DO UPDATE SET user_id = COALESCE(cvms.user_id, excluded.user_id),
                listed = excluded.listed, updated_at = excluded.updated_at
            RETURNING id
            """, new
        {
            cvm.TeepodId, cvm.VmUuid, cvm.AppId, instanceId = string.IsNullOrEmpty(info?.InstanceId) ? null : info.InstanceId,
            cvm.Name, status = info?.Status ?? "running", uptime = info?.Uptime,
            startedAt = VmUptime.StartedAt(info?.Uptime, DateTimeOffset.UtcNow), cvm.Image, imageVersion = info?.ImageVersion,
            cvm.Vcpu, cvm.Memory, cvm.DiskSize, cvm.ComposeHash, cvm.KmsEnabled, cvm.UserId, cvm.Listed, now,
        }, tx);

    /// <summary>
    /// The VMs are confirmed missing from their teepod: the rows stay (owner, history), marked gone, with any operation
    /// in flight ended. The one way a CVM becomes gone, for the reconciler and the routes alike.
    /// </summary>
    internal async Task MarkGoneAsync(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return;
        var now = Clock.NowText();
        await db.InTransactionAsync(async (c, tx) =>
        {
            foreach (var id in ids)
            {
                await c.ExecuteAsync("""
                    UPDATE cvms SET status = 'gone', gone_at = @now, updated_at = @now, uptime = NULL, started_at = NULL, in_progress = 0,
                        progress_operation = NULL, progress_target = NULL, progress_started_at = NULL,
                        progress_correlation_id = NULL
                    WHERE id = @id AND status <> 'gone'
                    """, new { id, now }, tx);
            }
            return 0;
        });
    }

    internal Task MarkGoneAsync(long id) => MarkGoneAsync([id]);

    /// <summary>
    /// Stores a status (or instance id, or a restart) the vmm just reported for the VM, as the pinger would on its next
    /// round. Only a change is written: reads call this too, and an unchanged row costs them no write lock.
    /// </summary>
    internal async Task ObserveAsync(long id, VmInfo vm)
    {
        var startedAt = VmUptime.StartedAt(vm.Uptime, DateTimeOffset.UtcNow);
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            UPDATE cvms SET status = @status, uptime = @uptime, started_at = @startedAt,
                instance_id = COALESCE(@instanceId, instance_id), updated_at = @now, last_synced_at = @now
            WHERE id = @id AND status <> 'gone'
                AND (status <> @status OR (@instanceId IS NOT NULL AND instance_id IS NOT @instanceId)
                    OR (@startedAt IS NOT NULL AND (started_at IS NULL OR abs(started_at - @startedAt) > @tolerance)))
            """, new
        {
            id, status = vm.Status, uptime = vm.Uptime, startedAt, tolerance = VmUptime.ToleranceSeconds,
            instanceId = string.IsNullOrEmpty(vm.InstanceId) ? null : vm.InstanceId, now = Clock.NowText(),
        });
    }

    internal async Task SetStatusAsync(long id, string status)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE cvms SET status = @status, updated_at = @now WHERE id = @id AND status <> 'gone'",
            new { id, status, now = Clock.NowText() });
    }

    /// <summary>The compose (and resources) the vmm was just told to run: shown until the next sync confirms them.</summary>
    internal static Task SetConfigurationAsync(
        SqliteConnection c, SqliteTransaction tx, long id, string? composeHash, long? vcpu, long? memory, long? diskSize, string? image) =>
        c.ExecuteAsync("""
            UPDATE cvms SET compose_hash = COALESCE(@composeHash, compose_hash), vcpu = COALESCE(@vcpu, vcpu),
                memory = COALESCE(@memory, memory), disk_size = COALESCE(@diskSize, disk_size),
                image = COALESCE(@image, image), updated_at = @now
            WHERE id = @id
            """, new { id, composeHash, vcpu, memory, diskSize, image, now = Clock.NowText() }, tx);

    internal async Task BeginProgressAsync(long id, string operation, string target, string correlationId)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            UPDATE cvms SET in_progress = 1, progress_operation = @operation, progress_target = @target,
                progress_started_at = @now, progress_correlation_id = @correlationId, updated_at = @now
            WHERE id = @id
            """, new { id, operation, target, correlationId, now = Clock.NowText() });
    }

    /// <summary>
    /// Ends the operation in flight; with <paramref name="correlationId"/> only that one (false when another request
    /// ended or replaced it first, so the caller must not act on it any more).
    /// </summary>
    internal async Task<bool> EndProgressAsync(long id, string? correlationId = null)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("""
            UPDATE cvms SET in_progress = 0, progress_operation = NULL, progress_target = NULL, progress_started_at = NULL,
                progress_correlation_id = NULL
            WHERE id = @id AND (@correlationId IS NULL OR progress_correlation_id = @correlationId)
                AND progress_operation IS NOT NULL
            """, new { id, correlationId }) == 1;
    }
}
