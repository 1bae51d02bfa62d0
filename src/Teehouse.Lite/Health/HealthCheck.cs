using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Infrastructure;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Health;

/// <summary>
/// The answer of <c>/healthz</c>, kept as bytes. Each request still asks the database (the data-version look of
/// <see cref="DbChanges"/>); the schema query behind the answer runs again when anything was committed, and at least
/// once a second, so a watchdog polling in a loop costs no query per poll and a failing disk shows within a second.
/// </summary>
public sealed class HealthCheck(Db db, DbChanges changes, ILogger<HealthCheck> logger)
{
    private static readonly long MaxAge = Stopwatch.Frequency;

    private Answer? _last;

    public async Task<(int Status, byte[] Body)> CheckAsync(CancellationToken ct)
    {
        long epoch;
        try
        {
            epoch = changes.Current().Epoch;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Remember(-1, Failed(e));
        }
        if (Volatile.Read(ref _last) is { } last && last.Epoch == epoch && Stopwatch.GetTimestamp() - last.At < MaxAge)
            return (last.Status, last.Body);

        try
        {
            await using var connection = await db.OpenAsync(ct);
            var version = await connection.ExecuteScalarAsync<int>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
            return Remember(epoch, new HealthDatabase("ok", version, null));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Remember(-1, Failed(e));
        }
    }

    private HealthDatabase Failed(Exception e)
    {
        logger.LogWarning(e, "Health check could not read the database");
        return new HealthDatabase("error", null, e.Message);
    }

    private (int, byte[]) Remember(long epoch, HealthDatabase database)
    {
        var ok = database.Status == "ok";
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new HealthResponse(ok ? "ok" : "degraded", BuildInfo.Version, database), HealthJson.Default.HealthResponse);
        var status = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        // A failure is never reused: the next poll looks again.
        Volatile.Write(ref _last, ok ? new Answer(epoch, Stopwatch.GetTimestamp(), status, body) : null);
        return (status, body);
    }

    private sealed record Answer(long Epoch, long At, int Status, byte[] Body);
}
