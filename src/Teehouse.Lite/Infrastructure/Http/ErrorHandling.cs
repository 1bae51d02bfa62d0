using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>
/// The one exit for failures: every exception and every body-less error status leaves as FastAPI-style JSON
/// (<c>{"detail": "..."}</c>, or a list for 422), never as a stack trace or an empty 404/405.
/// </summary>
public static partial class ErrorHandling
{
    /// <summary>
    /// The role claim of callers who may see infrastructure (peer addresses, the peers' own words). The same string as
    /// <c>Users.Roles.Admin</c>, spelled here so that Infrastructure does not depend on a feature.
    /// </summary>
    public const string AdminRole = "admin";

    /// <summary>Outermost: unexpected exceptions become a logged 500, body-less error statuses get a JSON detail.</summary>
    public static void UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            AllowStatusCode404Response = true,
            ExceptionHandler = context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                return TryWriteKnownAsync(context, error) ?? WriteDetailAsync(context, 500, "Internal Server Error");
            },
        });
        app.UseStatusCodePages(async statusContext =>
        {
            var response = statusContext.HttpContext.Response;
            if (response.ContentLength is > 0 || response.ContentType is not null) return;
            await WriteDetailAsync(statusContext.HttpContext, response.StatusCode, DefaultDetail(response.StatusCode));
        });
    }

    /// <summary>
    /// Inside the request log: expected failures (bad input, not found, teepod down…) are answered here, so they are
    /// logged as the 4xx/5xx they are rather than as unhandled exceptions with stack traces.
    /// </summary>
    public static void UseApiErrors(this WebApplication app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && TryWriteKnownAsync(context, e) is { } write)
        {
            await write;
        }
    });

    /// <summary>The answer for an exception we expect, or null for a bug (which the outer handler logs as a 500).</summary>
    private static Task? TryWriteKnownAsync(HttpContext context, Exception? error) => error switch
    {
        ValidationException v => WriteValidationAsync(context, v.Errors),
        DstackException dstack => WriteDstackAsync(context, dstack),
        ApiException api => WriteDetailAsync(context, api.StatusCode, api.Message),
        BadHttpRequestException bad => WriteBadRequestAsync(context, bad),
        JsonException json => WriteValidationAsync(context, [JsonError(json)]),
        // SQLITE_BUSY / SQLITE_LOCKED after busy_timeout: the request can simply be retried.
        SqliteException { SqliteErrorCode: 5 or 6 } =>
            WriteDetailAsync(context, StatusCodes.Status503ServiceUnavailable, "The database is busy; retry the request"),
        OperationCanceledException when context.RequestAborted.IsCancellationRequested => ClientGone(context),
        _ => null,
    };

    /// <summary>
    /// A teepod, KMS or gateway failed: 504 when it timed out, else 502. Only admins are told where it lives and what it
    /// said; the full story is logged for them either way.
    /// </summary>
    private static Task WriteDstackAsync(HttpContext context, DstackException e)
    {
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ErrorHandling).FullName!)
            .LogWarning("{Method} {Path}: {Detail}", context.Request.Method, context.Request.Path.Value, e.LogDetail);
        return WriteDetailAsync(context, StatusFor(e), context.User.IsInRole(AdminRole) ? e.FullDetail : e.PublicDetail);
    }

    /// <summary>A peer that timed out is a 504, one too old to use a 409; any other peer failure a 502.</summary>
    public static int StatusFor(DstackException e) => e.Failure switch
    {
        DstackFailure.Timeout => StatusCodes.Status504GatewayTimeout,
        // The host works, it is just too old: nothing a retry fixes, and not a fault of the peer's answer.
        DstackFailure.Unsupported => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status502BadGateway,
    };

    private static Task ClientGone(HttpContext context)
    {
        context.Response.StatusCode = 499; // nobody reads it; the request log shows why the request ended
        return Task.CompletedTask;
    }

    private static Task WriteBadRequestAsync(HttpContext context, BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json) return WriteValidationAsync(context, [JsonError(json)]);
        return bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => WriteDetailAsync(context, 413, "Request body too large"),
            StatusCodes.Status415UnsupportedMediaType => WriteDetailAsync(context, 415, "Content-Type must be application/json"),
            StatusCodes.Status400BadRequest => WriteValidationAsync(context, [BindingError(bad.Message)]),
            _ => WriteDetailAsync(context, bad.StatusCode, bad.Message),
        };
    }

    private static ValidationError JsonError(JsonException json)
    {
        var loc = new List<string> { "body" };
        if (!string.IsNullOrEmpty(json.Path) && json.Path != "$")
            loc.AddRange(json.Path.TrimStart('$', '.').Split('.', StringSplitOptions.RemoveEmptyEntries));
        var msg = json.Message;
        // STJ appends "Path: $.x | LineNumber: 0 | BytePositionInLine: 7." — keep the sentence, drop the internals.
        var cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) msg = msg[..cut];
        var type = msg.Contains("missing required properties", StringComparison.Ordinal) ? "missing" : "json_invalid";
        return new ValidationError(loc, msg.Length == 0 ? "JSON decode error" : msg, type);
    }

    private static ValidationError BindingError(string message)
    {
        // e.g. Required parameter "string endpoint" was not provided from query string.
        //      Failed to bind parameter "int id" from "abc".
        var required = RequiredParameter().Match(message);
        if (required.Success)
        {
            var location = required.Groups[2].Value.Contains("query", StringComparison.Ordinal) ? "query" : "body";
            return new ValidationError([location, required.Groups[1].Value], "Field required", "missing");
        }
        var bind = BindParameter().Match(message);
        if (bind.Success)
            return new ValidationError(["path", bind.Groups[1].Value], $"Invalid value '{bind.Groups[2].Value}'", "type_error");
        if (message.Contains("body", StringComparison.OrdinalIgnoreCase))
            return new ValidationError(["body"], "A JSON request body is required", "missing");
        return new ValidationError(["request"], message, "value_error");
    }

    /// <param name="keepHeaders">Keep headers already set (e.g. WWW-Authenticate on a 401); otherwise a half-built
    /// response is cleared first.</param>
    public static Task WriteDetailAsync(HttpContext context, int status, string detail, bool keepHeaders = false)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        if (!keepHeaders) context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(detail), InfrastructureJson.Default.ErrorResponse);
    }

    private static Task WriteValidationAsync(HttpContext context, IReadOnlyList<ValidationError> errors)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return context.Response.WriteAsJsonAsync(new ValidationErrorResponse(errors), InfrastructureJson.Default.ValidationErrorResponse);
    }

    private static string DefaultDetail(int status) => status switch
    {
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request body too large",
        401 => "Not authenticated",
        403 => "Forbidden",
        _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : $"HTTP {status}",
    };

    [GeneratedRegex("Required parameter \"\\S+ (\\w+)\" was not provided from ([\\w ]+)")]
    private static partial Regex RequiredParameter();

    [GeneratedRegex("Failed to bind parameter \"\\S+ (\\w+)\" from \"(.*)\"")]
    private static partial Regex BindParameter();
}
