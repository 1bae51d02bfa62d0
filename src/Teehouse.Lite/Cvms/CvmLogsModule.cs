using System.Globalization;
using Carter;
using Microsoft.Extensions.Primitives;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// <c>GET /api/v1/cvms/{cvm_id}/logs?ch=serial|stdout|stderr&amp;follow=&amp;lines=</c>: the vmm's <c>/logs</c> of the CVM,
/// streamed through as text/plain. The owner (or an admin) reads it with an API token; anyone holding a valid
/// <c>cap</c> (the CVM's <c>syslog_endpoint</c>, see <see cref="LogCapabilities"/>) reads it with no header at all.
/// Every failure (bad query 422, no access 401/403/404, vmm 404/400/502/504) is JSON before the first byte.
/// </summary>
public sealed class CvmLogsModule : ICarterModule
{
    public const int DefaultLines = 10_000;
    private static readonly string[] Channels = ["serial", "stdout", "stderr"];

    public void AddRoutes(IEndpointRouteBuilder app) =>
        // Anonymous at the routing level only so that a `cap` can stand in for the token; without one the handler
        // challenges exactly as RequireAuthorization would (401 JSON, WWW-Authenticate).
        app.MapGet("/api/v1/cvms/{cvmId}/logs", Logs).AllowAnonymous().Produces<string>(contentType: "text/plain");

    private static async Task<IResult> Logs(
        string cvmId, HttpContext http, CurrentUser user, CvmStore queries, LogCapabilities caps, DstackClientFactory clients,
        ILogger<CvmLogsModule> logger, CancellationToken ct)
    {
        var query = http.Request.Query;
        var hasCap = query.TryGetValue("cap", out var cap);
        if (!hasCap && user.User is null) return Results.Challenge(); // what RequireAuthorization answers: 401 first
        var v = new Validator("query");
        var channel = query.TryGetValue("ch", out var ch) ? ch.ToString() : "serial";
        v.Require(Channels.Contains(channel, StringComparer.Ordinal), "ch", "Input should be 'serial', 'stdout' or 'stderr'", "enum");
        var follow = ParseBool(v, "follow", query);
        var lines = ParseLines(v, query.ContainsKey("lines") ? "lines" : "tail", query);
        v.ThrowIfInvalid();

        CvmRow row;
        if (hasCap)
        {
            switch (await caps.CheckAsync(cvmId, cap.ToString()))
            {
                case CapabilityCheck.Expired:
                    throw new ApiException(StatusCodes.Status401Unauthorized, "The log link has expired; fetch the CVM again for a new one");
                case CapabilityCheck.Forged:
                    throw ApiException.Forbidden("The log link is not valid for this CVM");
            }
            var found = cvmId.Length <= CvmIds.MaxLength ? await queries.FindAsync(CvmScope.Everyone, CvmIds.Parse(cvmId)) : null;
            row = found is not null && found.HashedId == cvmId ? found : throw ApiException.NotFound($"CVM {cvmId} not found");
        }
        else
        {
            row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        }

        Stream body;
        try
        {
            body = await clients.VmmOf(row).OpenLogsAsync(row.VmUuid, follow, lines, channel, ct);
        }
        catch (DstackException e) when (e is { Failure: DstackFailure.RemoteError, HttpStatus: 404 })
        {
            logger.LogInformation("CVM {Id}: {Detail}", row.Id, e.FullDetail);
            throw ApiException.NotFound($"CVM {row.HashedId} has no logs on its node (the VM is not there)");
        }
        catch (DstackException e) when (e is { Failure: DstackFailure.RemoteError, HttpStatus: 400 })
        {
            logger.LogInformation("CVM {Id}: {Detail}", row.Id, e.FullDetail);
            throw ApiException.BadRequest($"The node refused the log request: {e.RemoteMessage}");
        }

        await using (body)
        {
            await StreamAsync(http.Response, body, logger, row, ct);
        }
        return Results.Empty;
    }

    private static async Task StreamAsync(HttpResponse response, Stream body, ILogger logger, CvmRow row, CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var buffer = new byte[16 * 1024];
        try
        {
            await response.StartAsync(ct);
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), ct);
                await response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away: the vmm stream is closed with it.
        }
        catch (IOException e)
        {
            // The vmm dropped the stream after the first byte: nothing to report but the end of the body.
            logger.LogInformation("CVM {Id}: the log stream from its node ended early: {Message}", row.Id, e.Message);
        }
    }

    // Rocket's bool: absent is false; present and empty (the CLI sends a bare `follow`), on/yes/true/1, off/no/false/0.
    private static bool ParseBool(Validator v, string name, IQueryCollection query)
    {
        if (!query.TryGetValue(name, out var values)) return false;
        switch (values.ToString().Trim().ToLowerInvariant())
        {
            case "" or "on" or "yes" or "true" or "1": return true;
            case "off" or "no" or "false" or "0": return false;
            default:
                v.Require(false, name, "Input should be a valid boolean", "bool_parsing");
                return false;
        }
    }

    private static int ParseLines(Validator v, string name, IQueryCollection query)
    {
        if (!query.TryGetValue(name, out StringValues values) || string.IsNullOrWhiteSpace(values.ToString())) return DefaultLines;
        var ok = int.TryParse(values.ToString().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n);
        v.Require(ok, name, "Input should be a valid non-negative integer", "int_parsing");
        return ok ? n : DefaultLines;
    }
}
