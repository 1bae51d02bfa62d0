using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// All SQL of the cvms table (and of apps, who owns each app id). Reads are here; writes in CvmStore.Writes.cs;
/// app ownership in CvmStore.Apps.cs. Nothing outside this folder writes either table.
/// </summary>
public sealed partial class CvmStore(Db db)
{
    private const string Select = """
        SELECT c.id, c.hashed_id, c.teepod_id, c.vm_uuid, c.app_id, c.instance_id, c.name, c.status, c.uptime, c.started_at, c.image,
            c.image_version, c.vcpu, c.memory, c.disk_size, c.compose_hash, c.kms_enabled, a.env_pubkey, c.user_id, u.username, c.listed, c.in_progress,
            c.created_at, c.updated_at, c.last_synced_at, c.gone_at, c.progress_operation, c.progress_target,
            c.progress_started_at, c.progress_correlation_id,
            t.name AS teepod_name, t.endpoint AS teepod_endpoint, t.auth_token AS teepod_auth_token,
            t.auth_username AS teepod_auth_username, t.auth_password AS teepod_auth_password,
            t.region_identifier AS teepod_region, t.status AS teepod_status, t.teepod_version AS teepod_version, t.kms_url AS teepod_kms_url,
            t.tproxy_base_domain AS gateway_base_domain, t.tproxy_port AS gateway_port,
            t.tproxy_tappd_port AS gateway_agent_port, t.images_json AS teepod_images_json
        FROM cvms c
        JOIN teepods t ON t.id = c.teepod_id
        LEFT JOIN users u ON u.id = c.user_id
        LEFT JOIN apps a ON a.app_id = c.app_id
        """;

    // user_id and teepod_id filters are "NULL = no filter", so one statement serves users, admins and every filter.
    private const string Visible = """
        c.status <> 'gone'
        AND (@ownerId IS NULL OR c.user_id = @ownerId)
        AND (@userId IS NULL OR c.user_id = @userId)
        AND (@teepodId IS NULL OR c.teepod_id = @teepodId)
        """;

    public Db Db => db;

    /// <summary>One page, newest first, and the count of every row the filters let through.</summary>
    public async Task<(List<CvmRow> Items, long Total)> PageAsync(
        CvmScope scope, long? userId, long? teepodId, int page, int pageSize)
    {
        await using var c = await db.OpenAsync();
        var args = new { ownerId = scope.OwnerId, userId, teepodId, limit = pageSize, offset = (long)(page - 1) * pageSize };
        var total = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM cvms c WHERE {Visible}", args);
        var items = (await c.QueryAsync<CvmRow>(
            $"{Select} WHERE {Visible} ORDER BY c.created_at DESC, c.id DESC LIMIT @limit OFFSET @offset", args)).AsList();
        return (items, total);
    }

    /// <summary>The visible CVM the path segment names (see <see cref="CvmIds"/>), or null.</summary>
    public async Task<CvmRow?> FindAsync(CvmScope scope, CvmIdQuery query)
    {
        await using var c = await db.OpenAsync();
        var candidates = await c.QueryAsync<CvmRow>($"""
            {Select}
            WHERE {Visible} AND (c.hashed_id = @raw OR c.id = @numeric OR c.vm_uuid = @uuid OR c.app_id = @hex40
                OR c.instance_id = @instanceId OR c.instance_id = @hex40 OR c.name = @raw)
            ORDER BY c.created_at DESC, c.id DESC
            LIMIT 500
            """, new
        {
            ownerId = scope.OwnerId, userId = (long?)null, teepodId = (long?)null, raw = query.Raw, numeric = query.Numeric,
            uuid = query.Uuid, hex40 = query.Hex40, instanceId = query.InstanceId,
        });
        return CvmIds.Pick(query, candidates);
    }

    public async Task<CvmRow?> ByIdAsync(long id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<CvmRow>($"{Select} WHERE c.id = @id", new { id });
    }

    /// <summary>Every CVM recorded for a teepod (gone ones included), by VM uuid.</summary>
    public async Task<Dictionary<string, CvmRow>> ForTeepodAsync(long teepodId)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<CvmRow>($"{Select} WHERE c.teepod_id = @teepodId", new { teepodId });
        return rows.ToDictionary(r => r.VmUuid, StringComparer.Ordinal);
    }

    /// <summary>The visible CVMs of one app, newest first (no vmm call).</summary>
    public async Task<List<CvmRow>> ForAppAsync(CvmScope scope, string appId)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<CvmRow>(
            $"{Select} WHERE {Visible} AND c.app_id = @appId ORDER BY c.created_at DESC, c.id DESC",
            new { ownerId = scope.OwnerId, userId = (long?)null, teepodId = (long?)null, appId })).AsList();
    }

    /// <summary>The rows with <paramref name="operation"/> in flight, oldest first.</summary>
    public async Task<List<CvmRow>> InProgressAsync(string operation)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<CvmRow>(
            $"{Select} WHERE c.progress_operation = @operation AND c.status <> 'gone' ORDER BY c.progress_started_at, c.id",
            new { operation })).AsList();
    }

    /// <summary>
    /// The visible CVMs among <paramref name="normalizedUuids"/> (lower-case, no dashes), in one statement: the uuids go
    /// in as one JSON array.
    /// </summary>
    public async Task<List<CvmRow>> StatusesAsync(CvmScope scope, List<string> normalizedUuids)
    {
        if (normalizedUuids.Count == 0) return [];
        string uuids = System.Text.Json.JsonSerializer.Serialize(normalizedUuids, CvmsJson.Default.ListString);
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<CvmRow>(
            $"{Select} WHERE {Visible} AND lower(replace(c.vm_uuid, '-', '')) IN (SELECT value FROM json_each(@uuids))",
            new { ownerId = scope.OwnerId, userId = (long?)null, teepodId = (long?)null, uuids })).AsList();
    }
}
