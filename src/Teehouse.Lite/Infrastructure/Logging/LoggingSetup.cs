using System.Globalization;
using System.Text;
using Serilog;
using Serilog.Events;
using Serilog.Sinks.File;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Files;
using Teehouse.Lite.Infrastructure.Hosting;

namespace Teehouse.Lite.Infrastructure.Logging;

/// <summary>
/// Serilog configured in code (configuration binding by reflection is not AOT-safe). Request bodies, headers and
/// query strings are never logged, so tokens and encrypted_env cannot reach a log line through the request log.
/// </summary>
public static class LoggingSetup
{
    private const int QueueLength = 10_000;
    private const string Template = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// The logger for the server. A log file that cannot be written (a directory the service user does not own, a
    /// file left by root) is reported once through <paramref name="warn"/> and left out: the console log goes on.
    /// </summary>
    public static Serilog.ILogger Create(LogConfig config, bool console = true, Action<string>? warn = null)
    {
        var file = config.File.Length > 0 && LogFileProblem(config.File) is { } problem
            ? Skip(problem, warn)
            : config.File;
        var level = ParseLevel(config.Level);
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            // Kestrel/routing chatter at Information is noise next to our own request log line.
            .MinimumLevel.Override("Microsoft.AspNetCore", level < LogEventLevel.Warning ? LogEventLevel.Warning : level)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
            // "AuthenticationScheme was challenged" on every 401 repeats what the request log line already says.
            .MinimumLevel.Override("Teehouse.Lite.Auth.ApiTokenAuthenticationHandler", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            // `teehouse serve` reports a failed start as one line itself; the host's copy is a stack trace.
            .Filter.ByExcluding(e => e.MessageTemplate.Text == "Hosting failed to start");
        // Console and file writes happen on the sink's own thread: a request only queues its line. When the queue is
        // full (a stalled disk or terminal) lines are dropped and counted rather than making requests wait.
        logger.WriteTo.Async(sinks =>
        {
            if (console)
                sinks.Console(outputTemplate: Template, formatProvider: CultureInfo.InvariantCulture);
            if (file.Length > 0)
            {
                sinks.File(file, outputTemplate: Template, formatProvider: CultureInfo.InvariantCulture,
                    rollingInterval: RollingInterval.Day, retainedFileCountLimit: config.RetainedFiles,
                    fileSizeLimitBytes: 100L * 1024 * 1024, rollOnFileSizeLimit: true, shared: false,
                    // Lines are written in blocks, not with a system call each, and on disk within a second.
                    buffered: true, flushToDiskInterval: TimeSpan.FromSeconds(1),
                    hooks: new PrivateLogFileHooks());
            }
        }, bufferSize: QueueLength, blockWhenFull: false);
        return logger.CreateLogger();
    }

    /// <summary>Why the log file cannot be written, or null; creates its directory (0700) on the way.</summary>
    private static string? LogFileProblem(string file)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var user = FileOwner.CurrentUser;
        // Serilog would create the directory 0755 under a usual umask; made first, it is ours alone.
        try { PrivateFiles.CreateDirectory(directory); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"cannot create log directory {directory} as user {user}";
        }
        if (!FileOwner.IsWritable(directory)) return $"log directory {directory} is not writable by user {user}";
        // Serilog's daily name: "teehouse-.log" → "teehouse-20260101.log". Left by root, it would fail line by line in silence.
        var today = Path.Combine(directory,
            Path.GetFileNameWithoutExtension(file) + DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + Path.GetExtension(file));
        if (File.Exists(today) && !FileOwner.IsWritable(today)) return $"log file {today} is not writable by user {user}";
        return null;
    }

    private static string Skip(string problem, Action<string>? warn)
    {
        warn?.Invoke($"{problem}; logging to the console only");
        return "";
    }

    public static LogEventLevel ParseLevel(string level) => level.ToLowerInvariant() switch
    {
        "verbose" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "fatal" => LogEventLevel.Fatal,
        _ => LogEventLevel.Information,
    };

    /// <summary>Each file the sink opens (the first and every rolled one) is made 0600 before a line is written.</summary>
    private sealed class PrivateLogFileHooks : FileLifecycleHooks
    {
        public override Stream OnFileOpened(string path, Stream underlyingStream, Encoding encoding)
        {
            PrivateFiles.Restrict(path);
            return underlyingStream;
        }
    }
}
