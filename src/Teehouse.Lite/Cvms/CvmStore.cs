using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// All SQL of the cvms table (and of apps, who owns each app id). Reads by id are here; the lists in CvmStore.Lists.cs
/// and CvmStore.AppPages.cs; writes in CvmStore.Writes.cs; app ownership in CvmStore.Apps.cs. Nothing outside this
/// folder writes either table.
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

    /// <summary>
    /// The row as the lists show it (CvmStore.Lists.cs, /status/batch): what the contract shows of the teepod, none of
    /// what it takes to call its vmm (endpoint, credentials) and not its images (filled from a per-teepod cache), so a
    /// page reads no secret and no JSON per row. Rows read this way cannot be handed to a vmm client.
    /// </summary>
    internal const string ListColumns = """
        c.id, c.hashed_id, c.teepod_id, c.vm_uuid, c.app_id, c.instance_id, c.name, c.status, c.uptime, c.started_at, c.image,
            c.image_version, c.vcpu, c.memory, c.disk_size, c.compose_hash, c.kms_enabled, a.env_pubkey, c.user_id, u.username, c.listed, c.in_progress,
            c.created_at, c.updated_at, c.progress_operation, c.progress_target, c.progress_started_at, c.progress_correlation_id,
            t.name AS teepod_name, t.region_identifier AS teepod_region, t.status AS teepod_status, t.teepod_version AS teepod_version,
            t.tproxy_base_domain AS gateway_base_domain
        """;

    /// <summary>What <see cref="ListColumns"/> reads besides cvms c (a statement may join its own rows in before).</summary>
    internal const string ListJoins = """
        JOIN teepods t ON t.id = c.teepod_id
        LEFT JOIN users u ON u.id = c.user_id
        LEFT JOIN apps a ON a.app_id = c.app_id
        """;

    internal const string ListSelect = $"SELECT {ListColumns} FROM cvms c {ListJoins}";

    // The lookups by id are few rows whatever the owner, so one statement serves users and admins ("NULL = everyone's").
    // The lists are not: they have one statement per filter combination (CvmStore.Lists.cs), each with its own index.
    private const string Visible = """
        c.status <> 'gone'
        AND (@ownerId IS NULL OR c.user_id = @ownerId)
        """;

    public Db Db => db;

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
            ownerId = scope.OwnerId, raw = query.Raw, numeric = query.Numeric,
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

    /// <summary>
    /// The visible CVMs of one app, newest first, with what it takes to call their vmms (a new instance reads their
    /// composes); the answers of /apps/{id} read <see cref="AppCvmsAsync"/> instead.
    /// </summary>
    public async Task<List<CvmRow>> ForAppAsync(CvmScope scope, string appId)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<CvmRow>(ForAppSql, new { ownerId = scope.OwnerId, appId })).AsList();
    }

    // The app id alone picks the index (migration 0015's per-app one, in answer order); the owner is a filter on top.
    internal const string ForAppSql = $"{Select} WHERE {Visible} AND c.app_id = @appId ORDER BY c.created_at DESC, c.id DESC";

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
            $"{ListSelect} WHERE {Visible} AND lower(replace(c.vm_uuid, '-', '')) IN (SELECT value FROM json_each(@uuids))",
            new { ownerId = scope.OwnerId, uuids })).AsList();
    }
}
