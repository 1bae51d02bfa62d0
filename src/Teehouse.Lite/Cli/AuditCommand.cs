using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Teehouse.Lite.Audit;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Cli;

/// <summary><c>teehouse audit</c>: the audit log, newest first, as a table or JSON lines.</summary>
public static class AuditCommand
{
    public static Command Create(CliIo io)
    {
        var config = CommonOptions.Config();
        var user = new Option<string?>("--user", "-u") { Description = "Only this user (id or name; 'cli:root', 'anonymous')", HelpName = "USER" };
        var target = new Option<string?>("--target", "-t") { Description = "Only this target (a CVM, app, teepod or token id, a user name)", HelpName = "ID" };
        var since = new Option<string?>("--since") { Description = "From this time on (ISO-8601 UTC, e.g. 2026-01-21T09:30:00Z)", HelpName = "TIME" };
        var until = new Option<string?>("--until") { Description = "Before this time (ISO-8601 UTC)", HelpName = "TIME" };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many records (default 50)", HelpName = "N", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "One JSON object per line instead of a table" };
        var command = new Command("audit", "Show the audit log: who did what to which resource, from where, and how it ended.")
        {
            user, target, since, until, limit, json, config,
        };
        command.SetAction(async parsed =>
        {
            var count = parsed.GetValue(limit);
            if (count is < 1 or > 100_000) throw new CliException($"--limit: {count} is not between 1 and 100000", ExitCodes.Usage);
            var v = new Validator("option");
            var filter = AuditFilter.Parse(v, parsed.GetValue(user), parsed.GetValue(target), parsed.GetValue(since), parsed.GetValue(until));
            try { v.ThrowIfInvalid(); }
            catch (ValidationException e)
            {
                throw new CliException(string.Join("; ", e.Errors.Select(x => $"--{x.Loc[^1]}: {x.Msg}")), ExitCodes.Usage);
            }

            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            // A running server writes its records a few milliseconds after each request (in the background).
            var (rows, _) = await new AuditStore(db).PageAsync(filter, 1, count);
            if (parsed.GetValue(json))
            {
                foreach (var row in rows) io.Out.WriteLine(JsonSerializer.Serialize(AuditEntry.From(row), AuditJson.Default.AuditEntry));
                return ExitCodes.Ok;
            }
            Table.Write(io.Out, ["TIME", "USER", "ACTION", "TARGET", "RESULT", "CLIENT", "DETAIL"], rows.Select(r => new[]
            {
                r.At, r.UserId is { } id ? $"{r.Username} ({id.ToString(CultureInfo.InvariantCulture)})" : r.Username, r.Action,
                r.Target ?? "-", Result(r), r.ClientAddress, r.Detail ?? "",
            }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Result(AuditRecord r) => r.Action.StartsWith("cli ", StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"exit {r.Status} {r.Result}")
        : string.Create(CultureInfo.InvariantCulture, $"{r.Status} {r.Result}");
}
