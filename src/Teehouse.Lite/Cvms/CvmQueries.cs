using Dapper;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Cvms;

/// <summary>A cvms row joined with what the contract shows of its teepod (and what it takes to call its vmm).</summary>
public sealed class CvmRow
{
    public long Id { get; set; }
    public string HashedId { get; set; } = "";
    public long TeepodId { get; set; }
    public string VmUuid { get; set; } = "";
    public string AppId { get; set; } = "";
    public string? InstanceId { get; set; }
    public string Name { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Uptime { get; set; }
    public string? Image { get; set; }
    public string? ImageVersion { get; set; }
    public long? Vcpu { get; set; }
    public long? Memory { get; set; }
    public long? DiskSize { get; set; }
    public string? ComposeHash { get; set; }
    public long? UserId { get; set; }
    public string? Username { get; set; }
    public bool Listed { get; set; }
    public bool InProgress { get; set; }
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public string? ProgressOperation { get; set; }
    public string? ProgressTarget { get; set; }
    public string? ProgressStartedAt { get; set; }
    public string? ProgressCorrelationId { get; set; }

    public string TeepodName { get; set; } = "";
    public string TeepodEndpoint { get; set; } = "";
    public string? TeepodAuthToken { get; set; }
    public string? TeepodRegion { get; set; }
    public string? TeepodStatus { get; set; }
    public string? TeepodVersion { get; set; }
    public string? GatewayBaseDomain { get; set; }
    public long? GatewayPort { get; set; }
    public long? GatewayAgentPort { get; set; }
    public string TeepodImagesJson { get; set; } = "[]";
}

/// <summary>Who is asking: a user sees only the CVMs whose user_id is theirs, an admin every one.</summary>
public readonly record struct CvmScope(long? OwnerId)
{
    public static CvmScope Everyone => new(null);
}

/// <summary>The reads and writes of the CVM routes (cvms joined with users and teepods; gone rows never show).</summary>
public sealed class CvmQueries(Db db)
{
    private const string Select = """
        SELECT c.id, c.hashed_id, c.teepod_id, c.vm_uuid, c.app_id, c.instance_id, c.name, c.status, c.uptime, c.image,
            c.image_version, c.vcpu, c.memory, c.disk_size, c.compose_hash, c.user_id, u.username, c.listed, c.in_progress,
            c.created_at, c.updated_at, c.progress_operation, c.progress_target, c.progress_started_at,
            c.progress_correlation_id,
            t.name AS teepod_name, t.endpoint AS teepod_endpoint, t.auth_token AS teepod_auth_token,
            t.region_identifier AS teepod_region, t.status AS teepod_status, t.teepod_version AS teepod_version,
            t.tproxy_base_domain AS gateway_base_domain, t.tproxy_port AS gateway_port,
            t.tproxy_tappd_port AS gateway_agent_port, t.images_json AS teepod_images_json
        FROM cvms c
        JOIN teepods t ON t.id = c.teepod_id
        LEFT JOIN users u ON u.id = c.user_id
        """;

    // user_id and teepod_id filters are "NULL = no filter", so one statement serves users, admins and every filter.
    private const string Visible = """
        c.status <> 'gone'
        AND (@ownerId IS NULL OR c.user_id = @ownerId)
        AND (@userId IS NULL OR c.user_id = @userId)
        AND (@teepodId IS NULL OR c.teepod_id = @teepodId)
        """;

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

    /// <summary>
    /// Stores a status (or instance id) the vmm just reported for the VM, as the pinger would on its next round. Only a
    /// change is written: reads call this too, and an unchanged row costs them no write lock.
    /// </summary>
    public async Task ObserveAsync(long id, VmInfo vm)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            UPDATE cvms SET status = @status, uptime = @uptime, instance_id = COALESCE(@instanceId, instance_id),
                updated_at = @now, last_synced_at = @now
            WHERE id = @id AND status <> 'gone'
                AND (status <> @status OR (@instanceId IS NOT NULL AND instance_id IS NOT @instanceId))
            """, new
        {
            id, status = vm.Status, uptime = vm.Uptime,
            instanceId = string.IsNullOrEmpty(vm.InstanceId) ? null : vm.InstanceId, now = Clock.NowText(),
        });
    }

    public async Task SetStatusAsync(long id, string status)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE cvms SET status = @status, updated_at = @now WHERE id = @id AND status <> 'gone'",
            new { id, status, now = Clock.NowText() });
    }

    /// <summary>The VM is confirmed missing from its teepod: the row stays, as the reconciler leaves it.</summary>
    public async Task MarkGoneAsync(long id)
    {
        await using var c = await db.OpenAsync();
        var now = Clock.NowText();
        await c.ExecuteAsync("""
            UPDATE cvms SET status = 'gone', gone_at = @now, updated_at = @now, uptime = NULL, in_progress = 0,
                progress_operation = NULL, progress_target = NULL, progress_started_at = NULL, progress_correlation_id = NULL
            WHERE id = @id
            """, new { id, now });
    }

    public async Task BeginProgressAsync(long id, string operation, string target, string correlationId)
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
    public async Task<bool> EndProgressAsync(long id, string? correlationId = null)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("""
            UPDATE cvms SET in_progress = 0, progress_operation = NULL, progress_target = NULL, progress_started_at = NULL,
                progress_correlation_id = NULL
            WHERE id = @id AND (@correlationId IS NULL OR progress_correlation_id = @correlationId)
                AND progress_operation IS NOT NULL
            """, new { id, correlationId }) == 1;
    }

    /// <summary>The rows with <paramref name="operation"/> in flight, oldest first.</summary>
    public async Task<List<CvmRow>> InProgressAsync(string operation)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<CvmRow>(
            $"{Select} WHERE c.progress_operation = @operation AND c.status <> 'gone' ORDER BY c.progress_started_at, c.id",
            new { operation })).AsList();
    }
}
