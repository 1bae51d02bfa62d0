namespace Teehouse.Lite.Cvms;

/// <summary>
/// Everything a list answer's bytes depend on besides the database: the route and its filters, the caller's scope
/// (so one user's page is never another's), the schema version, and what the syslog links embed (base URL, expiry).
/// <paramref name="Second"/> is the current unix second for shapes that carry a running VM's uptime, else 0.
/// </summary>
public readonly record struct AnswerKey(
    string Route, long? OwnerId, string Query, string ApiVersion, string BaseUrl, long LinkExpiry, long Second);

/// <summary>
/// Serialised list answers for repeated identical reads. Entries belong to one database epoch
/// (<see cref="Infrastructure.Database.DbChanges"/>: it moves on any commit, by this process or another), read before
/// the query that built them: a later epoch finds nothing and drops them all. Bounded in entries and bytes; when full
/// it starts over (a burst of distinct pages is not worth keeping in order).
/// </summary>
public sealed class AnswerCache
{
    public const int MaxEntries = 256;
    public const long MaxBytes = 32L << 20;

    /// <summary>An answer this large is rare (page_size near 1000) and would crowd out many small ones.</summary>
    public const int MaxAnswerBytes = 1 << 20;

    private readonly Lock _gate = new();
    private readonly Dictionary<AnswerKey, byte[]> _entries = [];
    // Answers of the current epoch being built: a burst of the same read after a commit builds it once.
    private readonly Dictionary<AnswerKey, Task<byte[]>> _building = [];
    private long _epoch = long.MinValue;
    private long _bytes;
    private long _hits;

    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>Answers served from the cache since start.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    public bool TryGet(long epoch, AnswerKey key, out byte[] answer)
    {
        lock (_gate)
        {
            if (epoch != _epoch)
            {
                if (epoch > _epoch) Reset(epoch); // the data moved on: free what can never be served again
                answer = [];
                return false;
            }
            if (!_entries.TryGetValue(key, out answer!)) return false;
            _hits++;
            return true;
        }
    }

    /// <summary>Files <paramref name="answer"/> under the epoch read before its query; an older epoch's answer is dropped.</summary>
    public void Add(long epoch, AnswerKey key, byte[] answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Length > MaxAnswerBytes) return;
        lock (_gate)
        {
            if (epoch < _epoch) return;
            if (epoch > _epoch) Reset(epoch);
            if (_entries.TryGetValue(key, out var old)) _bytes -= old.Length;
            else if (_entries.Count >= MaxEntries || _bytes + answer.Length > MaxBytes) Reset(epoch);
            _entries[key] = answer;
            _bytes += answer.Length;
        }
    }

    /// <summary>
    /// The answer filed under <paramref name="key"/> for <paramref name="epoch"/>, else the one being built for it by a
    /// concurrent request, else <paramref name="build"/>'s (run once, outside the lock, and filed).
    /// </summary>
    public async Task<byte[]> GetOrBuildAsync(long epoch, AnswerKey key, Func<Task<byte[]>> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        TaskCompletionSource<byte[]> mine;
        Task<byte[]>? theirs = null;
        lock (_gate)
        {
            if (epoch > _epoch) Reset(epoch);
            if (epoch == _epoch)
            {
                if (_entries.TryGetValue(key, out var hit))
                {
                    _hits++;
                    return hit;
                }
                _building.TryGetValue(key, out theirs);
            }
            mine = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (theirs is null && epoch == _epoch) _building[key] = mine.Task;
        }
        if (theirs is not null) return await theirs;
        try
        {
            var answer = await build();
            Add(epoch, key, answer);
            mine.SetResult(answer);
            return answer;
        }
        catch (Exception e)
        {
            mine.SetException(e);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                if (_building.TryGetValue(key, out var current) && current == mine.Task) _building.Remove(key);
            }
        }
    }

    private void Reset(long epoch)
    {
        _entries.Clear();
        _building.Clear();
        _bytes = 0;
        _epoch = epoch;
    }
}
