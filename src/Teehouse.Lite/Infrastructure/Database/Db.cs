using System.Data;
using Microsoft.Data.Sqlite;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>Opens connections to the one SQLite file, each with the same pragmas.</summary>
public sealed class Db
{
    private static int _providerSet;
    private readonly string _connectionString;

    public Db(string path, int busyTimeoutMs)
    {
        EnsureProvider();
        Path = path;
        BusyTimeoutMs = busyTimeoutMs;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite turns this into PRAGMA busy_timeout; seconds granularity, so we set the pragma too.
            DefaultTimeout = Math.Max(1, busyTimeoutMs / 1000),
        }.ToString();
    }

    public string Path { get; }
    public int BusyTimeoutMs { get; }

    /// <summary>SQLite is linked into the AOT binary (DirectPInvoke to e_sqlite3); the provider must be set before first use.</summary>
    public static void EnsureProvider()
    {
        if (Interlocked.Exchange(ref _providerSet, 1) == 0)
            SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_e_sqlite3());
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        using var pragma = connection.CreateCommand();
        // WAL is persistent in the file, but setting it on every open costs nothing and repairs a file copied without it.
        pragma.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public SqliteConnection Open() => OpenAsync().GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="work"/> in one transaction; commits when it returns, rolls back when it throws.</summary>
    public async Task<T> InTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        // Not deferred (BEGIN IMMEDIATE): the write lock is taken up front, so two writers queue on busy_timeout
        // instead of one failing with SQLITE_BUSY when it upgrades a read lock.
        await using var tx = connection.BeginTransaction(deferred: false);
        var result = await work(connection, tx);
        await tx.CommitAsync(ct);
        return result;
    }
}
