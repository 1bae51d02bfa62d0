using System.CommandLine;
using System.CommandLine.Invocation;
using Teehouse.Lite.Audit;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Cli;

/// <summary>
/// Puts every command that may change something in the audit log (who: <c>cli:&lt;unix user&gt;</c>, the command path,
/// its first argument or <c>--user</c>/<c>--teepod</c> as the target, the exit code), by wrapping the commands'
/// actions once rather than editing each. A command is audited unless it is known to only read: a new command that
/// writes is recorded without anyone remembering to. Values other than the target are never recorded, only the
/// names of the options given, so a secret passed on the command line stays out of the table.
/// </summary>
public static class CliAudit
{
    /// <summary>Commands that write nothing (serve's own requests are audited by the server).</summary>
    private static readonly HashSet<string> ReadOnly = new(StringComparer.Ordinal)
    {
        "serve", "token list", "user list", "config check", "logs", "audit", "doctor",
    };

    private static readonly string[] TargetOptions = ["--user", "--teepod"];

    public static void Attach(Command root, CliIo io)
    {
        foreach (var command in root.Subcommands) Attach(command, io, command.Name);
    }

    private static void Attach(Command command, CliIo io, string path)
    {
        foreach (var sub in command.Subcommands) Attach(sub, io, $"{path} {sub.Name}");
        if (ReadOnly.Contains(path) || command.Action is not { } inner) return;
        command.SetAction(async (parsed, ct) =>
        {
            int exit;
            try
            {
                exit = await InvokeAsync(inner, parsed, ct);
            }
            catch (Exception e)
            {
                await RecordAsync(parsed, command, path, TeehouseCli.ExitCodeOf(e), io);
                throw;
            }
            await RecordAsync(parsed, command, path, exit, io);
            return exit;
        });
    }

    private static Task<int> InvokeAsync(CommandLineAction action, ParseResult parsed, CancellationToken ct) => action switch
    {
        AsynchronousCommandLineAction a => a.InvokeAsync(parsed, ct),
        SynchronousCommandLineAction s => Task.FromResult(s.Invoke(parsed)),
        _ => throw new InvalidOperationException($"unknown command action {action.GetType().Name}"),
    };

    private static async Task RecordAsync(ParseResult parsed, Command command, string path, int exit, CliIo io)
    {
        if (command.Options.FirstOrDefault(o => o.Name == "--dry-run") is Option<bool> dryRun && parsed.GetValue(dryRun)) return;
        try
        {
            var config = ConfigLoader.Load(TokenOf(parsed, command.Options.FirstOrDefault(o => o.Name == "--config")));
            // A command that failed before its database existed changed nothing, and must not create one.
            if (!File.Exists(config.Database.Path)) return;
            var db = new Db(config.Database.Path, config.Database.BusyTimeoutMs);
            await Migrator.MigrateAsync(db);
            await new AuditStore(db).InsertAsync(Describe(parsed, command, path, exit));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A command that failed has said why on stderr already, and its cause (an unreadable config, a read-only
            // database) is most likely this one's: only a command that worked is followed by a warning.
            if (exit == ExitCodes.Ok) io.Err.WriteLine($"teehouse: warning: this command was not recorded in the audit log: {e.Message}");
        }
    }

    internal static AuditRecord Describe(ParseResult parsed, Command command, string path, int exit)
    {
        var target = command.Arguments.Count > 0 ? TokenOf(parsed, command.Arguments[0]) : null;
        foreach (var name in TargetOptions)
            target ??= TokenOf(parsed, command.Options.FirstOrDefault(o => o.Name == name));
        var detail = new List<string>();
        var given = command.Options.Where(o => o.Name != "--config" && parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 0) detail.Add($"options: {string.Join(' ', given)}");
        if (Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } sudo) detail.Add($"sudo by {sudo}");
        return new AuditRecord
        {
            At = Clock.NowText(),
            Username = AuditActors.Cli(Environment.UserName),
            Action = $"cli {path}",
            Target = target,
            Status = exit,
            Result = exit == ExitCodes.Ok ? AuditActors.Ok : AuditActors.Error,
            ClientAddress = AuditActors.Local,
            Detail = detail.Count == 0 ? null : string.Join("; ", detail),
        };
    }

    private static string? TokenOf(ParseResult parsed, Symbol? symbol) => symbol switch
    {
        Argument argument => parsed.GetResult(argument)?.Tokens.FirstOrDefault()?.Value,
        Option option => parsed.GetResult(option)?.Tokens.FirstOrDefault()?.Value,
        _ => null,
    };
}
