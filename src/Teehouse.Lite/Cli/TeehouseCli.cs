using System.CommandLine;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Hosting;

namespace Teehouse.Lite.Cli;

/// <summary>Exit codes as Unix tools use them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>The one binary's command line: serve, token, user, backup, config, import, logs.</summary>
public static class TeehouseCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var io = new CliIo(stdout ?? Console.Out, stderr ?? Console.Error);
        var root = new RootCommand("Teehouse Lite: a self-hosted control plane for dstack TDX hosts (teepods).")
        {
            ServeCommand.Create(io),
            TokenCommands.Create(io),
            UserCommands.Create(io),
            BackupCommand.Create(io),
            ConfigCommands.Create(io),
            ImportCommand.Create(io),
            LogsCommand.Create(io),
            AuditCommand.Create(io),
            TeepodCommands.Create(io),
            DoctorCommand.Create(io),
        };
        CliAudit.Attach(root, io);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) io.Err.WriteLine($"teehouse: {error.Message}");
            io.Err.WriteLine($"Try '{CommandPath(parsed)} --help' for more information.");
            return ExitCodes.Usage;
        }

        try
        {
            // The web host handles SIGTERM/SIGINT itself (graceful shutdown); System.CommandLine must not race it.
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                ProcessTerminationTimeout = null,
                Output = io.Out,
                Error = io.Err,
                EnableDefaultExceptionHandler = false,
            });
        }
        // Whatever was not translated where it happened is still one line: under systemd a stack trace per restart
        // buries the cause, and an operator cannot act on frames.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            io.Err.WriteLine($"teehouse: {OneLine(e)}");
            return ExitCodeOf(e);
        }
    }

    /// <summary>The exit code a failed command ends with (also what the audit log records for it).</summary>
    internal static int ExitCodeOf(Exception e) => e switch
    {
        ConfigException => ExitCodes.Usage,
        CliException cli => cli.ExitCode,
        StartupException startup => startup.ExitCode,
        _ => ExitCodes.Failure,
    };

    private static string OneLine(Exception e)
    {
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        // Our own errors were written to be read as they are; so are the system's file and database ones.
        return e is ConfigException or SchemaTooNewException or CliException or StartupException
            or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
            ? message
            : $"unexpected error ({e.GetType().Name}): {message}";
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var r = parsed.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command is RootCommand ? "teehouse" : r.Command.Name);
        return string.Join(' ', names);
    }
}

public sealed record CliIo(TextWriter Out, TextWriter Err);

/// <summary>A command failed in a way the user can act on; printed as one line, never a stack trace.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
