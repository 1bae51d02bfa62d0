using Dapper;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>What a list filters on besides the caller: an owner (user_id) and a teepod, each optional.</summary>
public readonly record struct CvmListFilter(long? UserId, long? TeepodId);

/// <summary>
/// The list reads: rows in the <see cref="ListSelect"/> shape, newest first (created_at DESC, id DESC), visible ones
/// only. Each filter combination has its own statement and its own index (migration 0015), so a page walks the index
/// in answer order and stops after the page; tests run EXPLAIN QUERY PLAN on these very strings.
/// </summary>
public sealed partial class CvmStore
{
    private const string Newest = "ORDER BY c.created_at DESC, c.id DESC";
    private const string Page = "LIMIT @limit OFFSET @offset";

    internal const string PageSql = $"{ListSelect} WHERE c.status <> 'gone' {Newest} {Page}";
    internal const string PageOfUserSql = $"{ListSelect} WHERE c.status <> 'gone' AND c.user_id = @userId {Newest} {Page}";
    internal const string PageOfTeepodSql = $"{ListSelect} WHERE c.status <> 'gone' AND c.teepod_id = @teepodId {Newest} {Page}";
    internal const string PageOfUserOnTeepodSql =
        $"{ListSelect} WHERE c.status <> 'gone' AND c.user_id = @userId AND c.teepod_id = @teepodId {Newest} {Page}";

    internal const string CountSql = "SELECT COUNT(*) FROM cvms c WHERE c.status <> 'gone'";
    internal const string CountOfUserSql = "SELECT COUNT(*) FROM cvms c WHERE c.status <> 'gone' AND c.user_id = @userId";
    internal const string CountOfTeepodSql = "SELECT COUNT(*) FROM cvms c WHERE c.status <> 'gone' AND c.teepod_id = @teepodId";
    internal const string CountOfUserOnTeepodSql =
        "SELECT COUNT(*) FROM cvms c WHERE c.status <> 'gone' AND c.user_id = @userId AND c.teepod_id = @teepodId";

    internal const string AppCvmsSql = $"{ListSelect} WHERE c.status <> 'gone' AND c.app_id = @appId {Newest}";
    internal const string AppCvmsOfUserSql = $"{ListSelect} WHERE c.status <> 'gone' AND c.user_id = @userId AND c.app_id = @appId {Newest}";

    internal const string HostedRecordsSql = """
        SELECT c.id, c.hashed_id, c.teepod_id, c.vm_uuid, c.name, c.vcpu, c.memory, c.disk_size, c.user_id, u.username,
            c.listed, c.in_progress
        FROM cvms c
        LEFT JOIN users u ON u.id = c.user_id
        WHERE c.teepod_id = @teepodId
        """;

    /// <summary>The statements of one filter combination: (page, count).</summary>
    internal static (string Page, string Count) ListSql(CvmListFilter filter) => filter switch
    {
        { UserId: null, TeepodId: null } => (PageSql, CountSql),
        { UserId: not null, TeepodId: null } => (PageOfUserSql, CountOfUserSql),
        { UserId: null, TeepodId: not null } => (PageOfTeepodSql, CountOfTeepodSql),
        _ => (PageOfUserOnTeepodSql, CountOfUserOnTeepodSql),
    };

    /// <summary>
    /// The filters a caller's list runs with: a user's own id, and any user_id they ask for on top (null when the two
    /// differ, since nothing can be both users' CVMs).
    /// </summary>
    internal static CvmListFilter? FilterFor(CvmScope scope, long? userId, long? teepodId) =>
        scope.OwnerId is { } owner && userId is { } asked && owner != asked
            ? null
            : new CvmListFilter(scope.OwnerId ?? userId, teepodId);

    /// <summary>One page, newest first, and the count of every row the filters let through.</summary>
    public async Task<(List<CvmRow> Items, long Total)> PageAsync(
        TeepodReadModel? teepods, CvmScope scope, long? userId, long? teepodId, int page, int pageSize)
    {
        if (FilterFor(scope, userId, teepodId) is not { } filter) return ([], 0);
        var (pageSql, countSql) = ListSql(filter);
        var args = new { userId = filter.UserId, teepodId = filter.TeepodId, limit = pageSize, offset = (long)(page - 1) * pageSize };
        await using var c = await db.OpenAsync();
        var total = await c.ExecuteScalarAsync<long>(countSql, args);
        var items = total == 0 ? [] : (await c.QueryAsync<CvmRow>(pageSql, args)).AsList();
        FillImages(teepods, items);
        return (items, total);
    }

    /// <summary>The visible CVMs of one app in the list shape, newest first (no vmm call).</summary>
    public async Task<List<CvmRow>> AppCvmsAsync(TeepodReadModel? teepods, CvmScope scope, string appId)
    {
        await using var c = await db.OpenAsync();
        var rows = (await c.QueryAsync<CvmRow>(scope.OwnerId is null ? AppCvmsSql : AppCvmsOfUserSql,
            new { userId = scope.OwnerId, appId })).AsList();
        FillImages(teepods, rows);
        return rows;
    }

    /// <summary>
    /// Every CVM recorded for a teepod (gone ones included), by VM uuid, with only what the hosted listing shows of
    /// them: no teepod columns (the route has the teepod), no compose, no secret.
    /// </summary>
    public async Task<Dictionary<string, CvmRow>> HostedRecordsAsync(long teepodId)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<CvmRow>(HostedRecordsSql, new { teepodId });
        return rows.ToDictionary(r => r.VmUuid, StringComparer.Ordinal);
    }

    /// <summary>
    /// Gives list rows their teepod's images_json (which <see cref="CvmMapper"/> reads dev flags from) from the teepods'
    /// read model instead of the page query reading it per row: every row of a teepod shares one string, whose parse
    /// <see cref="DevImages"/> keeps. Without a model (a caller that shows no images) the rows keep an empty list.
    /// </summary>
    private static void FillImages(TeepodReadModel? teepods, List<CvmRow> rows)
    {
        if (teepods is null) return;
        foreach (var row in rows) row.TeepodImagesJson = teepods.Find(row.TeepodId)?.Record.ImagesJson ?? "[]";
    }
}
