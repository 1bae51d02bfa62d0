namespace Teehouse.Lite.Simulator.Auth;

/// <summary>
/// Rocket's default error catcher (rwf2/Rocket core/lib/src/catcher/catcher.rs, identical at the master commits
/// dstack 0.4.2–0.5.11 pin): dstack-vmm registers no catchers, so a failed request guard (401), an unmatched
/// route (404) or an unparsable query (422) answers with this page, HTML unless the request prefers JSON.
/// </summary>
internal static class RocketCatcher
{
    private static readonly Dictionary<int, (string Reason, string Description)> Known = new()
    {
        [401] = ("Unauthorized", "The request requires user authentication."),
        [404] = ("Not Found", "The requested resource could not be found."),
        [422] = ("Unprocessable Entity", "The request was well-formed but was unable to be followed due to semantic errors."),
    };

    public static async Task WriteAsync(HttpContext context, int status)
    {
        var (reason, description) = Known[status];
        var json = PrefersJson(context.Request);
        var body = json
            ? $$"""
              {
                "error": {
                  "code": {{status}},
                  "reason": "{{reason}}",
                  "description": "{{description}}"
                }
              }
              """
            : $"""
              <!DOCTYPE html>
              <html lang="en">
              <head>
                  <meta charset="utf-8">
                  <meta name="color-scheme" content="light dark">
                  <title>{status} {reason}</title>
              </head>
              <body align="center">
                  <div role="main" align="center">
                      <h1>{status}: {reason}</h1>
                      <p>{description}</p>
                      <hr />
                  </div>
                  <div role="contentinfo" align="center">
                      <small>Rocket</small>
                  </div>
              </body>
              </html>
              """;
        context.Response.StatusCode = status;
        context.Response.ContentType = json ? "application/json" : "text/html; charset=utf-8";
        await context.Response.WriteAsync(body.ReplaceLineEndings("\n"), context.RequestAborted);
    }

    // Rocket's `req.accept().map(|a| a.preferred())` (core/http/src/header/accept.rs:151), approximated: the media
    // type with the highest q, the first one on ties.
    private static bool PrefersJson(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return false;
        }

        var best = accept.OrderByDescending(a => a.Quality ?? 1.0).First();
        return best.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }
}
