using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Files;
using Teehouse.Lite.Infrastructure.Hosting;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>One numbered SQL script embedded in the binary (Migrations/NNNN_name.sql).</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Brings the database schema up to the version this binary knows, one numbered script at a time, each in its own
/// transaction and recorded in schema_migrations. A database written by a newer binary is refused, never touched.
/// </summary>
public static partial class Migrator
{
    public static IReadOnlyList<Migration> All { get; } = LoadEmbedded();

    public static int LatestVersion => All.Count == 0 ? 0 : All[^1].Version;

    /// <summary>
    /// Migrates, and proves the files writable; a directory, owner or mode problem is a <see cref="StartupException"/>
    /// naming the file, as the first thing `serve` and every command that opens the database do.
    /// </summary>
    public static async Task<int> MigrateAsync(Db db, CancellationToken ct = default)
    {
        try { return await MigrateCoreAsync(db, ct); }
        catch (Exception e) when (StartupErrors.Database(e, db.Path) is { } startup) { throw startup; }
    }

    private static async Task<int> MigrateCoreAsync(Db db, CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(db.Path);
        if (!string.IsNullOrEmpty(directory)) PrivateFiles.CreateDirectory(directory);
        // SQLite would create the file with the umask's mode; its WAL and SHM then copy the database file's mode.
        PrivateFiles.CreateIfMissing(db.Path);

        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """);
        // A database SQLite could open only read-only fails here, not at the first write of a request.
        if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            throw new SqliteException("attempt to write a readonly database", 8);
        var current = await CurrentVersionAsync(connection);
        if (current > LatestVersion)
            throw new SchemaTooNewException(db.Path, current, LatestVersion);

        var applied = 0;
        foreach (var migration in All.Where(m => m.Version > current))
        {
            await using var tx = connection.BeginTransaction(deferred: false);
            // Another process may have migrated between our check and the write lock.
            if (await CurrentVersionAsync(connection, tx) >= migration.Version) { await tx.RollbackAsync(ct); continue; }
            await connection.ExecuteAsync(migration.Sql, transaction: tx);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { migration.Version, migration.Name, AppliedAt = Clock.NowText() }, tx);
            await tx.CommitAsync(ct);
            applied++;
        }
        return applied;
    }

    public static Task<int> CurrentVersionAsync(SqliteConnection connection, SqliteTransaction? tx = null) =>
        connection.ExecuteScalarAsync<int>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", transaction: tx);

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
            if (!match.Success) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value), match.Groups[2].Value, reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"migration numbers must run 1, 2, 3…; found {migrations[i].Version} at position {i + 1}");
        }
        return migrations;
    }

    [GeneratedRegex(@"^migrations/(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}

public sealed class SchemaTooNewException(string path, int found, int supported) : Exception(
    $"{path}: database schema version {found} is newer than this teehouse supports ({supported}); run a newer teehouse binary");
