using System.Globalization;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Files;
using Teehouse.Lite.Infrastructure.Hosting;

namespace Teehouse.Lite.Doctor;

/// <summary>What the database checks saw, for the checks after them (the clock compares with the newest record).</summary>
public sealed record DatabaseFacts(bool Usable, DateTime? NewestRecord);

/// <summary>
/// The database file: there, writable by this user, intact, at this binary's schema, private. Read only: doctor never
/// creates, migrates or repairs the file (a doctor that "fixes" by creating an empty database hides the real one).
/// </summary>
public static class DatabaseChecks
{
    public static async Task<(List<DoctorCheck> Checks, DatabaseFacts Facts)> RunAsync(string path, CancellationToken ct)
    {
        var checks = new List<DoctorCheck>();
        if (!File.Exists(path))
        {
            checks.Add(DoctorCheck.Fail("database", $"{path}: not found",
                "start `teehouse serve` once to create it, or point [database] path at the existing file"));
            return (checks, new DatabaseFacts(false, null));
        }

        var user = FileOwner.CurrentUser;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var unwritable = new[] { path, path + "-wal", path + "-shm", directory }
            .Where(f => (File.Exists(f) || Directory.Exists(f)) && !FileOwner.IsWritable(f)).ToList();

        Db.EnsureProvider();
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 2,
        }.ToString();
        try
        {
            await using var c = new SqliteConnection(connectionString);
            await c.OpenAsync(ct);
            var integrity = await ScalarAsync(c, "PRAGMA integrity_check", ct);
            var schema = await SchemaVersionAsync(c, ct);
            var newest = await NewestRecordAsync(c, ct);

            var state = $"{path}: integrity {integrity}, schema {schema} of {Migrator.LatestVersion}";
            if (unwritable.Count > 0)
                checks.Add(DoctorCheck.Fail("database", $"{state}; not writable by {user}: {string.Join(", ", unwritable)} " +
                    $"(owned by {FileOwner.NameOf(unwritable[0]) ?? "someone else"})",
                    $"chown {user}: {directory} {path}*  (a `sudo teehouse …` command run as root leaves root-owned files)"));
            else if (integrity != "ok")
                checks.Add(DoctorCheck.Fail("database", state,
                    "stop the server, restore the latest `teehouse backup` (or recover with sqlite3 .recover) and start it again"));
            else if (schema < Migrator.LatestVersion)
                checks.Add(DoctorCheck.Fail("database", state, "start `teehouse serve` once: it applies the missing migrations"));
            else if (schema > Migrator.LatestVersion)
                checks.Add(DoctorCheck.Fail("database", state, "this teehouse binary is older than the database: install the newer one"));
            else
                checks.Add(DoctorCheck.Pass("database", $"{path}: writable, integrity ok, schema {schema} of {Migrator.LatestVersion}"));

            checks.Add(FileModes(path));
            return (checks, new DatabaseFacts(integrity == "ok" && schema == Migrator.LatestVersion, newest));
        }
        catch (SqliteException e)
        {
            checks.Add(DoctorCheck.Fail("database", $"{path}: {e.Message.ReplaceLineEndings(" ")}",
                "check that it is a Teehouse database (not another file) and readable by " + user));
            checks.Add(FileModes(path));
            return (checks, new DatabaseFacts(false, null));
        }
    }

    private static DoctorCheck FileModes(string path)
    {
        var loose = PrivateFiles.LooseDatabaseModeFindings(path);
        if (loose.Count == 0)
            return DoctorCheck.Pass("file modes", $"{path}: private (owner {FileOwner.NameOf(path) ?? "unknown"})");
        var detail = loose.Count == 1 ? loose[0].Problem : $"{loose[0].Problem} (and {loose.Count - 1} more)";
        return DoctorCheck.Fail("file modes", detail, string.Join("; ", loose.Select(l => l.Fix)));
    }

    private static async Task<string> ScalarAsync(SqliteConnection c, string sql, CancellationToken ct)
    {
        await using var command = c.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) ?? "";
    }

    private static async Task<int> SchemaVersionAsync(SqliteConnection c, CancellationToken ct)
    {
        try
        {
            return int.Parse(await ScalarAsync(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct), CultureInfo.InvariantCulture);
        }
        catch (SqliteException) // no migrations table: nothing was ever applied
        {
            return 0;
        }
    }

    private static async Task<DateTime?> NewestRecordAsync(SqliteConnection c, CancellationToken ct)
    {
        try
        {
            var text = await ScalarAsync(c, "SELECT MAX(at) FROM audit_log", ct);
            return DateTime.TryParseExact(text, Clock.Format, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        }
        catch (SqliteException)
        {
            return null;
        }
    }
}
