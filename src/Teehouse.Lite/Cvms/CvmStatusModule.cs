using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// <c>POST /status/batch</c> (the SDK's <c>getCvmStatusBatch</c>, called by <c>phala cvms list</c> and <c>phala apps</c>):
/// body <c>{"vm_uuids": [...]}</c>, answered from the rows (what the pinger last saw) in one query, never a vmm call. The
/// answer is an object keyed by the uuid as sent; uuids that are unknown, gone or someone else's are left out.
/// </summary>
public sealed class CvmStatusModule : ICarterModule
{
    public const int MaxBatch = 1000;

    public void AddRoutes(IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/status/batch", Batch).RequireAuthorization().Produces<Dictionary<string, CvmBatchStatus>>();

    private static async Task<IResult> Batch(CvmStatusBatchRequest? body, CurrentUser user, CvmStore queries)
    {
        var v = new Validator();
        v.Require(body?.VmUuids is not null, "vm_uuids", "Field required", "missing");
        v.ThrowIfInvalid();
        var asked = body!.VmUuids!;
        v.Require(asked.Count <= MaxBatch, "vm_uuids", $"At most {MaxBatch} uuids per request");
        v.Require(asked.All(u => u is not null), "vm_uuids", "Input should be a valid string", "string_type");
        v.ThrowIfInvalid();

        var byKey = asked.OfType<string>().Distinct(StringComparer.Ordinal).ToDictionary(u => u, Normalize, StringComparer.Ordinal);
        var rows = await queries.StatusesAsync(user.IsAdmin ? CvmScope.Everyone : new CvmScope(user.Id), [.. byKey.Values.Distinct()]);
        var found = rows.GroupBy(r => Normalize(r.VmUuid)).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var answer = new Dictionary<string, CvmBatchStatus>(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        foreach (var (key, normalized) in byKey)
            if (found.TryGetValue(normalized, out var row))
                answer[key] = new CvmBatchStatus(row.VmUuid, row.Status, row.UptimeAt(now), row.InProgress, null, null,
                    row.ProgressOperation, row.ProgressStartedAt, row.ProgressCorrelationId);
        return TypedResults.Json(answer, CvmsJson.Default.DictionaryStringCvmBatchStatus);
    }

    /// <summary>The CLI sends the vm_uuid it was given; with or without dashes, any case, both name the same VM.</summary>
    internal static string Normalize(string uuid) => uuid.Trim().Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
}

public sealed record CvmStatusBatchRequest(List<string?>? VmUuids);

/// <summary>One entry of the answer, the SDK's <c>CvmStatusSchema</c>.</summary>
public sealed record CvmBatchStatus(
    string VmUuid, string Status, string? Uptime, bool InProgress, string? BootProgress, string? BootError,
    string? OperationType, string? OperationStartedAt, string? CorrelationId);
