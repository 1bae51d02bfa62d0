using System.CommandLine;
using System.Globalization;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Cli;

/// <summary><c>teehouse logs CVM [--ch serial|stdout|stderr] [-f] [--lines N]</c>: a CVM's log, straight from its teepod's vmm.</summary>
public static class LogsCommand
{
    public static Command Create(CliIo io)
    {
        var config = CommonOptions.Config();
        var cvm = new Argument<string>("CVM") { Description = "The CVM: hashed id, numeric id, name, VM uuid, app id or instance id" };
        var channel = new Option<string>("--ch") { Description = "Which log: serial (the guest console), stdout or stderr", DefaultValueFactory = _ => "serial", HelpName = "CHANNEL" };
        channel.AcceptOnlyFromAmong("serial", "stdout", "stderr");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until interrupted" };
        var lines = new Option<int>("--lines", "-n") { Description = "How many of the last lines to print first", DefaultValueFactory = _ => CvmLogsModule.DefaultLines, HelpName = "N" };
        lines.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0) r.AddError("--lines must be 0 or more");
        });
        var command = new Command("logs", "Print the serial console, stdout or stderr log of a CVM (read from its teepod's vmm)")
        {
            cvm, channel, follow, lines, config,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var (settings, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var name = parsed.GetValue(cvm)!;
            var row = name.Length <= CvmIds.MaxLength ? await new CvmStore(db).FindAsync(CvmScope.Everyone, CvmIds.Parse(name)) : null;
            if (row is null) throw new CliException($"no CVM '{name}'");

            using var clients = new DstackClientFactory(TimeSpan.FromMilliseconds(settings.Vmm.RequestTimeoutMs));
            try
            {
                await using var body = await clients.VmmOf(row).OpenLogsAsync(
                    row.VmUuid, parsed.GetValue(follow), parsed.GetValue(lines), parsed.GetValue(channel)!, ct);
                using var reader = new StreamReader(body);
                var buffer = new char[8192];
                int read;
                while ((read = await reader.ReadAsync(buffer, ct)) > 0)
                {
                    await io.Out.WriteAsync(buffer.AsMemory(0, read), ct);
                    await io.Out.FlushAsync(ct);
                }
            }
            catch (DstackException e)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"CVM {row.HashedId}: {e.FullDetail}"));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Interrupted while following: a normal end.
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
