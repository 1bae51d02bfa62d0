using Dapper;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Deploy;

/// <summary>SQL for the provisions table.</summary>
public sealed class ProvisionStore(Db db)
{
    private const string Columns = """
        id, user_id, teepod_id, app_id, compose_hash, compose_file, name, image, vcpu, memory, disk_size, instance_type,
        listed, kms_id, created_at, expires_at, committing_at, cvm_id
        """;

    /// <summary>Stores a provision; provisioning the same compose again (not yet committed) renews it.</summary>
    /// <returns>null when this compose was provisioned and committed already (the app exists).</returns>
    public async Task<ProvisionRecord?> SaveAsync(ProvisionRecord p)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ProvisionRecord>($"""
            INSERT INTO provisions (user_id, teepod_id, app_id, compose_hash, compose_file, name, image, vcpu, memory,
                disk_size, instance_type, listed, kms_id, created_at, expires_at)
            VALUES (@UserId, @TeepodId, @AppId, @ComposeHash, @ComposeFile, @Name, @Image, @Vcpu, @Memory, @DiskSize,
                @InstanceType, @Listed, @KmsId, @CreatedAt, @ExpiresAt)
            ON CONFLICT (user_id, app_id, compose_hash) DO UPDATE SET
                teepod_id = excluded.teepod_id, name = excluded.name, image = excluded.image, vcpu = excluded.vcpu,
                memory = excluded.memory, disk_size = excluded.disk_size, instance_type = excluded.instance_type,
                listed = excluded.listed, kms_id = excluded.kms_id, expires_at = excluded.expires_at
            WHERE provisions.cvm_id IS NULL
            RETURNING {Columns}
            """, p);
    }

    public async Task<ProvisionRecord?> FindAsync(long userId, string appId, string composeHash)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ProvisionRecord>(
            $"SELECT {Columns} FROM provisions WHERE user_id = @userId AND app_id = @appId AND compose_hash = @composeHash",
            new { userId, appId, composeHash });
    }

    /// <summary>Commits that reached the vmm but never recorded their CVM (a crash, a lost connection).</summary>
    public async Task<List<ProvisionRecord>> InterruptedAsync(long teepodId)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<ProvisionRecord>(
            $"SELECT {Columns} FROM provisions WHERE teepod_id = @teepodId AND committing_at IS NOT NULL AND cvm_id IS NULL",
            new { teepodId })).AsList();
    }

    public async Task MarkCommittingAsync(long id, string now)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE provisions SET committing_at = COALESCE(committing_at, @now) WHERE id = @id", new { id, now });
    }

    /// <summary>Records the created VM as the caller's CVM and links it to the provision, in one transaction.</summary>
    public Task<long> CompleteAsync(ProvisionRecord p, string vmId, VmInfo? info, string now) =>
        db.InTransactionAsync(async (c, tx) =>
        {
            var cvmId = await CvmStore.InsertCreatedAsync(c, tx,
                new CreatedCvm(p.TeepodId, vmId, p.AppId, p.Name, p.Image, p.Vcpu, p.Memory, p.DiskSize, p.ComposeHash, p.UserId, p.Listed),
                info, now);
            await c.ExecuteAsync("UPDATE provisions SET cvm_id = @cvmId WHERE id = @Id", new { cvmId, p.Id }, tx);
            return cvmId;
        });
}
