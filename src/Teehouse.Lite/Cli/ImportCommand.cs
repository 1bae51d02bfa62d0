using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Cli;

public static class ImportCommand
{
    public static Command Create(CliIo io)
    {
        var config = CommonOptions.Config();
        var teepod = new Option<long>("--teepod", "-t") { Description = "Id of a registered teepod (see GET /api/v1/teepods)", Required = true, HelpName = "ID" };
        var owner = new Option<string?>("--owner") { Description = "Give the imported CVMs that have no owner to this user", HelpName = "USER" };
        var list = new Option<bool>("--list") { Description = "Mark the imported CVMs listed" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only fetch and parse the teepod's VMs; write nothing" };
        var command = new Command("import", "Import every VM hosted on a teepod (new, updated, unchanged, gone). Safe to re-run.")
        {
            teepod, owner, list, dryRun, config,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var (settings, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var teepodId = parsed.GetValue(teepod);
            var record = await new TeepodStore(db).FindAsync(teepodId) ?? throw new CliException($"no teepod with id {teepodId}");

            long? ownerId = null;
            if (parsed.GetValue(owner) is { } ownerName)
                ownerId = (await new UserStore(db).FindByNameAsync(ownerName) ?? throw new CliException($"no user named '{ownerName}'")).Id;

            using var clients = new DstackClientFactory(TimeSpan.FromMilliseconds(settings.Vmm.RequestTimeoutMs));
            if (parsed.GetValue(dryRun))
            {
                var watch = Stopwatch.StartNew();
                var count = 0;
                try
                {
                    await foreach (var _ in clients.VmmFor(record).ListAllVmsAsync(CvmImporter.PageSize, brief: false, ct)) count++;
                }
                catch (DstackException e)
                {
                    throw new CliException(e.FullDetail); // the operator at the console: the whole story
                }
                io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"teepod {record.Id} ({record.Name}): {count} VMs (dry run, nothing written; {watch.Elapsed.TotalSeconds:0.00} s)"));
                return ExitCodes.Ok;
            }
            var importer = new CvmImporter(new CvmStore(db), clients);
            var interactive = !Console.IsErrorRedirected && ReferenceEquals(io.Err, Console.Error);
            var progress = new Progress(io.Err, record, interactive);
            var clock = Stopwatch.StartNew();
            CvmSyncSummary summary;
            try
            {
                summary = await importer.ImportAsync(record, new CvmSyncOptions(InsertNew: true, ownerId, parsed.GetValue(list)), progress, ct);
            }
            catch (DstackException e)
            {
                progress.Done();
                throw new CliException($"{e.FullDetail} (whole batches already written are kept; run the import again)");
            }
            progress.Done();
            io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"teepod {record.Id} ({record.Name}): {summary.Seen} VMs: {summary.New} new, {summary.Updated} updated, {summary.Unchanged} unchanged, {summary.Gone} gone ({clock.Elapsed.TotalSeconds:0.00} s)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One self-overwriting progress line on a terminal; silence when stderr is a file or pipe.</summary>
    private sealed class Progress(TextWriter err, TeepodRecord teepod, bool interactive) : IProgress<int>
    {
        private bool _shown;

        public void Report(int seen)
        {
            if (!interactive) return;
            err.Write($"\rimporting teepod {teepod.Id} ({teepod.Name}): {seen} VMs…");
            _shown = true;
        }

        public void Done()
        {
            if (_shown) err.Write("\r\u001b[K");
        }
    }
}
