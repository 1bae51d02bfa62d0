using System.CommandLine;
using Dapper;
using Teehouse.Lite.Infrastructure.Files;

namespace Teehouse.Lite.Cli;

public static class BackupCommand
{
    public static Command Create(CliIo io)
    {
        var config = CommonOptions.Config();
        var file = new Argument<string>("FILE") { Description = "Where to write the copy (must not exist yet)" };
        var command = new Command("backup", "Write a consistent copy of the database; safe while 'serve' runs.") { file, config };
        command.SetAction(async parsed =>
        {
            var target = Path.GetFullPath(parsed.GetValue(file)!);
            if (File.Exists(target)) throw new CliException($"{target} already exists; choose a new file name");
            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var directory = Path.GetDirectoryName(target);
            if (!string.IsNullOrEmpty(directory)) PrivateFiles.CreateDirectory(directory);
            // The copy holds the same secrets as the database: created empty and 0600 here (VACUUM INTO accepts an
            // empty file), rather than with the umask's mode by SQLite.
            try { PrivateFiles.CreateNew(target); }
            catch (IOException) when (File.Exists(target)) { throw new CliException($"{target} already exists; choose a new file name"); }
            try
            {
                await using var connection = await db.OpenAsync();
                // VACUUM INTO reads one snapshot of the WAL database, so writers may continue while it runs.
                await connection.ExecuteAsync("VACUUM INTO @target", new { target });
            }
            catch
            {
                File.Delete(target); // an empty file left behind would look like a backup
                throw;
            }
            io.Err.WriteLine($"Backup written to {target} ({new FileInfo(target).Length} bytes).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
