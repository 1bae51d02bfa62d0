using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Routing.Patterns;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Audit;

/// <summary>
/// Records every POST/PUT/PATCH/DELETE under <c>/api/</c>, whoever sent it and however it ended, from what routing
/// and authentication already know: the route template (never the path as sent, which may hold anything), the route
/// values that are ids, the caller's claims and the final status. Bodies, headers and query strings are never read.
/// </summary>
public static class AuditMiddleware
{
    private const int MaxTargetLength = 128;

    public static bool IsAudited(HttpRequest request) =>
        (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)
         || HttpMethods.IsDelete(request.Method))
        && request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!IsAudited(context.Request))
        {
            await next(context);
            return;
        }
        var pending = new PendingRecord(context, context.RequestServices.GetRequiredService<AuditWriter>());
        // The record is queued as the response starts, before the caller can read a byte of it: a read of the audit
        // log sent after this answer arrives finds it (the read flushes the queue). OnCompleted covers answers that
        // never start (the client went away).
        context.Response.OnStarting(static state => ((PendingRecord)state).Record(), pending);
        context.Response.OnCompleted(static state => ((PendingRecord)state).Record(), pending);
        try
        {
            await next(context);
        }
        finally
        {
            // Before an error handler clears the endpoint and route values to write its answer.
            pending.Capture();
        }
    }

    private sealed class PendingRecord(HttpContext context, AuditWriter writer)
    {
        private readonly string _at = Clock.NowText();
        private AuditRecord? _captured;
        private int _recorded;

        public void Capture() => _captured ??= Describe(context, _at);

        public Task Record()
        {
            if (Interlocked.Exchange(ref _recorded, 1) == 0)
            {
                Capture();
                var record = _captured!;
                record.Status = context.Response.StatusCode;
                record.Result = record.Status < 400 ? AuditActors.Ok : AuditActors.Error;
                if (record.Status == StatusCodes.Status401Unauthorized && record.Detail is null)
                    record.Detail = HasCredentials(context.Request) ? "token refused" : "no token";
                writer.TryRecord(record);
            }
            return Task.CompletedTask;
        }
    }

    internal static AuditRecord Describe(HttpContext context, string at)
    {
        var request = context.Request;
        var record = new AuditRecord { At = at, ClientAddress = ClientAddress(context.Connection.RemoteIpAddress) };
        if (context.User.Identity?.IsAuthenticated == true
            && long.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            record.UserId = id;
            record.Username = context.User.FindFirstValue(ClaimTypes.Name) ?? id.ToString(CultureInfo.InvariantCulture);
        }
        else record.Username = AuditActors.Anonymous;

        var detail = new List<string>();
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern: var pattern })
        {
            record.Action = $"{request.Method} {Template(pattern)}";
            foreach (var parameter in pattern.Parameters)
            {
                if (request.RouteValues[parameter.Name] is not { } raw) continue;
                var value = Bounded(Convert.ToString(raw, CultureInfo.InvariantCulture) ?? "");
                if (record.Target is null) record.Target = value;
                else detail.Add($"{SnakeCase(parameter.Name)}={value}");
            }
        }
        else record.Action = $"{request.Method} (no route)";
        if (string.Equals(request.Headers["X-Prepare-Only"], "true", StringComparison.OrdinalIgnoreCase)) detail.Add("prepare only");
        record.Detail = detail.Count == 0 ? null : string.Join("; ", detail);
        return record;
    }

    /// <summary><c>/api/v1/cvms/{cvmId:long}/stop</c> → <c>/api/v1/cvms/{cvm_id}/stop</c>: the contract's own spelling.</summary>
    internal static string Template(RoutePattern pattern)
    {
        var text = new StringBuilder("/");
        foreach (var segment in pattern.PathSegments)
        {
            if (text.Length > 1) text.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal: text.Append(literal.Content); break;
                    case RoutePatternSeparatorPart separator: text.Append(separator.Content); break;
                    case RoutePatternParameterPart parameter: text.Append('{').Append(SnakeCase(parameter.Name)).Append('}'); break;
                }
            }
        }
        return text.ToString();
    }

    internal static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0 && text[^1] != '_') text.Append('_');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }

    private static string Bounded(string value) => value.Length <= MaxTargetLength ? value : value[..MaxTargetLength] + "…";

    private static string ClientAddress(IPAddress? address) => address switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } => address.MapToIPv4().ToString(),
        _ => address.ToString(),
    };

    private static bool HasCredentials(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 || request.Headers.ContainsKey("X-API-Key");
}
