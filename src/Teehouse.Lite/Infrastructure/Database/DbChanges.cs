using Microsoft.Data.Sqlite;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>
/// The database as of one look: <see cref="Epoch"/> moves on any commit by any connection, in this process or another;
/// the area counters (kept by the triggers of migration 0013) move only when their tables change. A cache built from
/// a table stays valid while its counter, or for bulk-written tables the epoch, stays the same.
/// </summary>
public readonly record struct DbVersion(long Epoch, long Auth, long Teepods);

/// <summary>
/// Tells caches whether the database changed. Every commit by another connection (the pool's, or another process's: a
/// <c>teehouse token revoke</c>) moves SQLite's <c>PRAGMA data_version</c>, so a cache checked on each request honours
/// a change on the very next request. That pragma costs a read transaction (microseconds, and system calls), so it is
/// asked only when the WAL-index header in shared memory (<see cref="WalIndexHeader"/>) differs from the one seen
/// at the last look: a request when nothing was committed reads 96 bytes of memory and takes no lock.
/// </summary>
public sealed class DbChanges(Db db) : IDisposable
{
    private readonly Lock _gate = new();
    private SqliteConnection? _connection;
    private SqliteCommand? _dataVersion;
    private SqliteCommand? _counters;
    private WalIndexHeader? _header;
    private long _lastDataVersion;
    private bool _read;
    private DbVersion _current;
    private long _looks;

    // What the last look saw: replaced whole, so a reader never sees a header of one look with the version of another.
    private Seen? _seen;

    /// <summary>How many times SQLite itself was asked (for tests: the shared-memory path must spare most looks).</summary>
    internal long Looks => Interlocked.Read(ref _looks);

    public DbVersion Current()
    {
        if (Volatile.Read(ref _seen) is { } seen && seen.Wal.Current.SequenceEqual(seen.Header))
            return seen.Version;
        lock (_gate)
        {
            try
            {
                Open();
                // Our own open connection keeps the -shm file in place for as long as we look at it.
                _header ??= WalIndexHeader.TryOpen(db.Path);
                // The header is copied before SQLite is asked: a commit after the copy makes the next look differ.
                var copy = _header?.Current.ToArray();
                var version = Ask();
                Volatile.Write(ref _seen, copy is null ? null : new Seen(_header!, copy, version));
                return version;
            }
            catch
            {
                // A connection that failed once is not trusted again; the next look opens a new one.
                Close();
                throw;
            }
        }
    }

    private DbVersion Ask()
    {
        Interlocked.Increment(ref _looks);
        var dataVersion = (long)_dataVersion!.ExecuteScalar()!;
        if (_read && dataVersion == _lastDataVersion) return _current;
        // Counters after the data version: they are at least as new as the version they are filed under.
        using var reader = _counters!.ExecuteReader();
        reader.Read();
        _current = new DbVersion(_current.Epoch + 1, reader.GetInt64(0), reader.GetInt64(1));
        _lastDataVersion = dataVersion;
        _read = true;
        return _current;
    }

    private void Open()
    {
        if (_connection is not null) return;
        _connection = db.OpenDedicated();
        _dataVersion = _connection.CreateCommand();
        _dataVersion.CommandText = "PRAGMA data_version";
        _dataVersion.Prepare();
        _counters = _connection.CreateCommand();
        _counters.CommandText = """
            SELECT (SELECT n FROM change_counters WHERE area = 'auth'), (SELECT n FROM change_counters WHERE area = 'teepods')
            """;
        _counters.Prepare();
        // data_version numbers belong to one connection: a new one starts a new sequence.
        _read = false;
    }

    // The mapping stays until Dispose: a look on another thread may be reading it without the lock.
    private void Close()
    {
        Volatile.Write(ref _seen, null);
        _dataVersion?.Dispose();
        _counters?.Dispose();
        _connection?.Dispose();
        (_dataVersion, _counters, _connection) = (null, null, null);
    }

    /// <summary>At shutdown, after the last request: nothing reads the mapping any more.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Close();
            _header?.Dispose();
            _header = null;
        }
    }

    private sealed record Seen(WalIndexHeader Wal, byte[] Header, DbVersion Version);
}
