using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Health;

public sealed record HealthResponse(string Status, string Version, HealthDatabase Database);

public sealed record HealthDatabase(string Status, int? SchemaVersion, string? Error);

/// <summary><c>GET /healthz</c> without auth, for systemd watchdogs and load balancers: 200 when the database answers, 503 when not.</summary>
public sealed class HealthModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app) => app.MapGet("/healthz", GetHealth).AllowAnonymous()
        .Produces<HealthResponse>().Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> GetHealth(HealthCheck health, CancellationToken ct)
    {
        var (status, body) = await health.CheckAsync(ct);
        return new JsonBytes(body, status);
    }
}
