using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>Opens connections to the one SQLite file, each with the same pragmas.</summary>
public sealed class Db
{
    private static int _providerSet;
    private static readonly object Configured = new();
    private readonly string _connectionString;
    private readonly string _dedicatedConnectionString;
    // Pooled connections keep their native handle (and its pragmas) between opens: each handle is set up once.
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();

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
        _dedicatedConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
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
        var handle = connection.Handle!;
        if (!_configured.TryGetValue(handle, out _))
        {
            Configure(connection);
            _configured.AddOrUpdate(handle, Configured);
        }
        return connection;
    }

    /// <summary>A connection outside the pool, for a component that keeps one open for its whole life.</summary>
    public SqliteConnection OpenDedicated()
    {
        var connection = new SqliteConnection(_dedicatedConnectionString);
        connection.Open();
        Configure(connection);
        return connection;
    }

    private void Configure(SqliteConnection connection)
    {
        using var pragma = connection.CreateCommand();
        // WAL is persistent in the file, but setting it on each new connection repairs a file copied without it.
        pragma.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
        pragma.ExecuteNonQuery();
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
