using Microsoft.Data.Sqlite;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>
/// The database as of one look: <see cref="Epoch"/> moves on any commit by any connection, in this process or another;
/// the area counters (kept by the triggers of migration 0013) move only when their tables change. A cache built from
/// a table stays valid while its counter, or for bulk-written tables the epoch, stays the same.
/// </summary>
public readonly record struct DbVersion(long Epoch, long Auth, long Teepods);

/// <summary>
/// Tells caches whether the database changed, at the cost of one <c>PRAGMA data_version</c> (a look at the WAL index,
/// no table read) on a connection kept for this alone. Only when that moved are the area counters read again. Every
/// commit by another connection (the pool's, or another process's: a <c>teehouse token revoke</c>) moves it, so a
/// cache checked on each request honours a change on the very next request.
/// </summary>
public sealed class DbChanges(Db db) : IDisposable
{
    private readonly Lock _gate = new();
    private SqliteConnection? _connection;
    private SqliteCommand? _dataVersion;
    private SqliteCommand? _counters;
    private long _lastDataVersion;
    private bool _read;
    private DbVersion _current;

    public DbVersion Current()
    {
        lock (_gate)
        {
            try
            {
                Open();
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
            catch
            {
                // A connection that failed once is not trusted again; the next look opens a new one.
                Close();
                throw;
            }
        }
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

    private void Close()
    {
        _dataVersion?.Dispose();
        _counters?.Dispose();
        _connection?.Dispose();
        (_dataVersion, _counters, _connection) = (null, null, null);
    }

    public void Dispose()
    {
        lock (_gate) Close();
    }
}
