using System.Text;
using System.Text.RegularExpressions;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Logs;

/// <summary>
/// <c>GET /logs?id=&amp;follow=&amp;ansi=&amp;lines=&amp;ch=</c>: a text/plain tail of a VM's serial/stdout/stderr
/// log, optionally followed with <c>[vmm heartbeat]</c> lines while idle, until the client goes away. next answers
/// 404/400 for an unknown VM or channel; released versions answer everything with 200 (see <see cref="HandleReleasedAsync"/>).
/// </summary>
internal sealed partial class LogsEndpoint(SimulatorState state)
{
    private const int DefaultTailLines = 10_000;

    public async Task HandleAsync(HttpContext context, CancellationToken stopping)
    {
        var query = context.Request.Query;
        var id = query["id"].ToString();
        if (!query.ContainsKey("id")
            || !TryParseBool(query["follow"], out var follow)
            || !TryParseBool(query["ansi"], out var ansi)
            || !TryParseLines(query["lines"], out var lines))
        {
            // Rocket refuses to route a request whose query parameters do not parse.
            await Auth.RocketCatcher.WriteAsync(context, 422);
            return;
        }

        if (state.Profile.LogsErrorsAsText)
        {
            await HandleReleasedAsync(context, id, follow, ansi, lines, stopping);
            return;
        }

        VmLog? log = null;
        lock (state.Sync)
        {
            if (state.TryGetVm(id, out var vm))
            {
                log = vm.Log;
            }
        }

        if (log is null)
        {
            await WritePlainAsync(context, 404, "VM not found");
            return;
        }

        var ch = query.ContainsKey("ch") ? query["ch"].ToString() : "serial";
        if (ParseChannel(ch) is not { } channel)
        {
            await WritePlainAsync(context, 400, $"Unknown channel {ch}");
            return;
        }

        await StreamAsync(context, log, channel, follow, ansi, lines, stopping);
    }

    /// <summary>
    /// Released vmm (v0.5.11 main_routes.rs:107-145): a TextStream, so always 200. The channel is checked first and
    /// reported as the stream's text; the VM is never looked up: <c>tail</c> is spawned on its log path (tailf 0.1.2,
    /// stderr to /dev/null), and for a VM that does not exist it finds no file, prints nothing and exits.
    /// </summary>
    private async Task HandleReleasedAsync(HttpContext context, string id, bool follow, bool ansi, int? lines, CancellationToken stopping)
    {
        var ch = context.Request.Query.ContainsKey("ch") ? context.Request.Query["ch"].ToString() : "serial";
        if (ParseChannel(ch) is not { } channel)
        {
            await WritePlainAsync(context, 200, $"Unknown channel {ch}");
            return;
        }

        VmLog? log = null;
        lock (state.Sync)
        {
            if (state.TryGetVm(id, out var vm))
            {
                log = vm.Log;
            }
        }

        if (log is null)
        {
            await WritePlainAsync(context, 200, "");
            return;
        }

        await StreamAsync(context, log, channel, follow, ansi, lines, stopping);
    }

    private static LogChannel? ParseChannel(string ch) => ch switch
    {
        "serial" => LogChannel.Serial,
        "stdout" => LogChannel.Stdout,
        "stderr" => LogChannel.Stderr,
        _ => null,
    };

    private async Task StreamAsync(HttpContext context, VmLog log, LogChannel channel, bool follow, bool ansi, int? lines, CancellationToken stopping)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; charset=utf-8";
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var cancel = linked.Token;
        try
        {
            var (initial, next, changed) = log.Tail(channel, lines ?? DefaultTailLines);
            await WriteLinesAsync(context, initial, ansi, cancel);
            if (!follow)
            {
                return;
            }

            var heartbeat = state.Options.LogHeartbeatInterval;
            while (!cancel.IsCancellationRequested)
            {
                var timer = Task.Delay(heartbeat, cancel);
                if (await Task.WhenAny(changed, timer) != changed)
                {
                    await timer;
                    await WriteChunkAsync(context, "[vmm heartbeat]\n", cancel);
                    continue;
                }

                List<string> fresh;
                (fresh, next, changed) = log.ReadFrom(channel, next);
                await WriteLinesAsync(context, fresh, ansi, cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // Client disconnected or the host is going down: just end the stream.
        }
    }

    private static async Task WriteLinesAsync(HttpContext context, List<string> lines, bool ansi, CancellationToken cancel)
    {
        if (lines.Count == 0)
        {
            return;
        }

        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            sb.Append(ansi ? line : AnsiEscape().Replace(line, "")).Append('\n');
        }

        await WriteChunkAsync(context, sb.ToString(), cancel);
    }

    private static async Task WriteChunkAsync(HttpContext context, string text, CancellationToken cancel)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancel);
        await context.Response.Body.FlushAsync(cancel);
    }

    private static async Task WritePlainAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    // Rocket's bool form field: missing means false; on/yes/true/1 and off/no/false/0 (any case).
    private static bool TryParseBool(Microsoft.Extensions.Primitives.StringValues values, out bool value)
    {
        value = false;
        if (values.Count == 0)
        {
            return true;
        }

        switch (values[0]?.ToLowerInvariant())
        {
            case "" or "on" or "yes" or "true" or "1":
                value = true;
                return true;
            case "off" or "no" or "false" or "0":
                return true;
            default:
                return false;
        }
    }

    private static bool TryParseLines(Microsoft.Extensions.Primitives.StringValues values, out int? lines)
    {
        lines = null;
        if (values.Count == 0)
        {
            return true;
        }

        if (ulong.TryParse(values[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            lines = (int)Math.Min(n, int.MaxValue);
            return true;
        }

        return false;
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[ -/]*[@-~]")]
    private static partial Regex AnsiEscape();
}
