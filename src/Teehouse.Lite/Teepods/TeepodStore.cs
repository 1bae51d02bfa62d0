using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Teepods;

/// <summary>SQL for the teepods table.</summary>
public sealed class TeepodStore(Db db)
{
    private const string Columns = """
        id, name, endpoint, auth_token, auth_username, auth_password, region_identifier, kms_endpoint, kms_url, kms_version,
        kms_ca_cert_pem, tproxy_endpoint, tproxy_url, tproxy_version, tproxy_base_domain, tproxy_port, tproxy_tappd_port, teepod_version,
        max_cvm_number, max_allocable_vcpu, max_allocable_memory_in_mb, max_disk_size_in_gb, status, enabled, listed,
        vm_count, used_vcpu, used_memory_mb, images_json, last_ping_at, last_seen_at, last_error AS last_error_detail, created_at,
        image_path, run_path
        """;

    public async Task<List<TeepodRecord>> ListAsync(bool includeDisabled)
    {
        await using var c = await db.OpenAsync();
        var where = includeDisabled ? "" : " WHERE enabled = 1";
        return (await c.QueryAsync<TeepodRecord>($"SELECT {Columns} FROM teepods{where} ORDER BY id")).AsList();
    }

    public async Task<TeepodRecord?> FindAsync(long id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<TeepodRecord>($"SELECT {Columns} FROM teepods WHERE id = @id", new { id });
    }

    /// <summary>The teepod that already uses this name or endpoint, if any (names compare case-insensitively).</summary>
    public async Task<TeepodRecord?> FindConflictAsync(string? name, string? endpoint, long exceptId = 0)
    {
        await using var c = await db.OpenAsync();
        return await c.QueryFirstOrDefaultAsync<TeepodRecord>(
            $"SELECT {Columns} FROM teepods WHERE id <> @exceptId AND (lower(name) = lower(@name) OR endpoint = @endpoint)",
            new { name, endpoint, exceptId });
    }

    /// <summary>Inserts a probed teepod; null when the name or endpoint was taken in the meantime.</summary>
    public async Task<TeepodRecord?> InsertAsync(TeepodRecord t)
    {
        await using var c = await db.OpenAsync();
        try
        {
            var id = await c.ExecuteScalarAsync<long>("""
                INSERT INTO teepods (name, endpoint, auth_token, auth_username, auth_password, region_identifier, kms_endpoint,
                    kms_url, kms_version, kms_ca_cert_pem, tproxy_endpoint, tproxy_url, tproxy_version, tproxy_base_domain, tproxy_port,
                    tproxy_tappd_port, teepod_version, max_cvm_number, max_allocable_vcpu, max_allocable_memory_in_mb,
                    max_disk_size_in_gb, status, enabled, listed, vm_count, used_vcpu, used_memory_mb, images_json,
                    last_ping_at, last_seen_at, last_error, created_at, image_path, run_path)
                VALUES (@Name, @Endpoint, @AuthToken, @AuthUsername, @AuthPassword, @RegionIdentifier, @KmsEndpoint,
                    @KmsUrl, @KmsVersion, @KmsCaCertPem, @TproxyEndpoint, @TproxyUrl, @TproxyVersion, @TproxyBaseDomain, @TproxyPort,
                    @TproxyTappdPort, @TeepodVersion, @MaxCvmNumber, @MaxAllocableVcpu, @MaxAllocableMemoryInMb,
                    @MaxDiskSizeInGb, @Status, @Enabled, @Listed, @VmCount, @UsedVcpu, @UsedMemoryMb, @ImagesJson,
                    @LastPingAt, @LastSeenAt, @LastErrorDetail, @CreatedAt, @ImagePath, @RunPath)
                RETURNING id
                """, t);
            return await c.QuerySingleAsync<TeepodRecord>($"SELECT {Columns} FROM teepods WHERE id = @id", new { id });
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: UNIQUE name/endpoint
        {
            return null;
        }
    }

    /// <summary>
    /// Applies the given fields; false when the new name collides with another teepod. <paramref name="setAuth"/>
    /// replaces all three credential columns at once (a teepod stores a token or a user name and password, never both).
    /// </summary>
    public async Task<bool> UpdateAsync(
        long id, string? name, bool? enabled, bool? listed, string? regionIdentifier,
        bool setAuth = false, string? authToken = null, string? authUsername = null, string? authPassword = null)
    {
        await using var c = await db.OpenAsync();
        try
        {
            await c.ExecuteAsync("""
                UPDATE teepods SET
                    name = COALESCE(@name, name),
                    enabled = COALESCE(@enabled, enabled),
                    listed = COALESCE(@listed, listed),
                    region_identifier = COALESCE(@regionIdentifier, region_identifier),
                    auth_token = CASE WHEN @setAuth THEN @authToken ELSE auth_token END,
                    auth_username = CASE WHEN @setAuth THEN @authUsername ELSE auth_username END,
                    auth_password = CASE WHEN @setAuth THEN @authPassword ELSE auth_password END
                WHERE id = @id
                """, new { id, name, enabled, listed, regionIdentifier, setAuth, authToken, authUsername, authPassword });
            return true;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            return false;
        }
    }

    /// <summary>Where a teepod on this host keeps its images and VMs (add-local run again, after vmm.toml changed).</summary>
    public async Task SetLocalPathsAsync(long id, string? imagePath, string? runPath)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE teepods SET image_path = @imagePath, run_path = @runPath WHERE id = @id",
            new { id, imagePath, runPath });
    }

    /// <summary>Stores what a successful ping saw and marks the teepod online.</summary>
    public async Task RecordPingAsync(long id, VmmSnapshot s, string now)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            UPDATE teepods SET status = 'online', teepod_version = @Version, max_cvm_number = @MaxCvmNumber,
                max_allocable_vcpu = @MaxAllocableVcpu, max_allocable_memory_in_mb = @MaxAllocableMemoryInMb,
                vm_count = @VmCount, used_vcpu = @UsedVcpu, used_memory_mb = @UsedMemoryMb, images_json = @ImagesJson,
                last_ping_at = @now, last_seen_at = @now, last_error = NULL
            WHERE id = @id
            """, new
        {
            id, now, s.Version, s.MaxCvmNumber, s.MaxAllocableVcpu, s.MaxAllocableMemoryInMb,
            s.Use.VmCount, UsedVcpu = s.Use.Vcpu, UsedMemoryMb = s.Use.MemoryMb, s.ImagesJson,
        });
    }

    public async Task RecordFailureAsync(long id, string error, string now)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync(
            "UPDATE teepods SET status = 'offline', last_ping_at = @now, last_error = @error WHERE id = @id",
            new { id, now, error });
    }
}
