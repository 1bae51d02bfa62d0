using Carter;
using Dapper;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure;

namespace Teehouse.Lite.Health;

public sealed record HealthResponse(string Status, string Version, HealthDatabase Database);

public sealed record HealthDatabase(string Status, int? SchemaVersion, string? Error);

/// <summary><c>GET /healthz</c> without auth, for systemd watchdogs and load balancers: 200 when the database answers, 503 when not.</summary>
public sealed class HealthModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app) => app.MapGet("/healthz", GetHealth).AllowAnonymous();

    private static async Task<IResult> GetHealth(Db db, ILogger<HealthModule> logger, CancellationToken ct)
    {
        HealthDatabase database;
        try
        {
            await using var connection = await db.OpenAsync(ct);
            var version = await connection.ExecuteScalarAsync<int>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
            database = new HealthDatabase("ok", version, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Health check could not read the database");
            database = new HealthDatabase("error", null, e.Message);
        }
        var ok = database.Status == "ok";
        return TypedResults.Json(new HealthResponse(ok ? "ok" : "degraded", BuildInfo.Version, database),
            HealthJson.Default.HealthResponse, statusCode: ok ? 200 : 503);
    }
}
