namespace Teehouse.Lite.Infrastructure.Processes;

/// <summary>
/// What host-tool runs answered, kept for a while and shared: concurrent askers of one key wait for one run, an
/// answer is reused until it is <c>fresh</c> old, and a failure for <c>failed</c> (so a missing or broken tool is not
/// started again by every request). At most <c>concurrency</c> runs go at once; a run that cannot start within
/// <c>queueTimeout</c> fails as timed out, so a flood of distinct keys queues nothing for long.
/// A run is not tied to any one caller: a client that hangs up stops waiting, not the run the others wait for.
/// </summary>
public sealed class ToolAnswers<TKey, TValue>(
    string tool, TimeSpan fresh, TimeSpan failed, int maxEntries, int concurrency, TimeSpan queueTimeout,
    TimeProvider? time = null) : IDisposable
    where TKey : notnull
{
    private sealed record Entry(Task<TValue> Task, long StartedAt);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Entry> _entries = [];
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>How many runs were started (tests check the sharing with it).</summary>
    public int Runs => Volatile.Read(ref _runs);
    private int _runs;

    public Task<TValue> GetAsync(TKey key, Func<CancellationToken, Task<TValue>> run, CancellationToken ct)
    {
        Task<TValue> task;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (!_entries.TryGetValue(key, out var entry) || Expired(entry, now))
            {
                if (_entries.Count >= maxEntries) Trim(now);
                entry = new Entry(Task.Run(() => RunAsync(run)), now);
                _entries[key] = entry;
            }
            task = entry.Task;
        }
        return task.WaitAsync(ct);
    }

    private async Task<TValue> RunAsync(Func<CancellationToken, Task<TValue>> run)
    {
        if (!await _slots.WaitAsync(queueTimeout, _stopping.Token))
            throw new ToolException(tool, ToolFailure.TimedOut, $"{tool}: too many runs waiting; try again shortly");
        try
        {
            Interlocked.Increment(ref _runs);
            return await run(_stopping.Token);
        }
        finally
        {
            _slots.Release();
        }
    }

    private bool Expired(Entry entry, long now) =>
        entry.Task.IsCompleted
        && _time.GetElapsedTime(entry.StartedAt, now) >= (entry.Task.IsCompletedSuccessfully ? fresh : failed);

    /// <summary>Drops what is stale, then (still full) every finished answer; runs in flight stay, so none is orphaned.</summary>
    private void Trim(long now)
    {
        foreach (var (key, entry) in _entries.ToList())
            if (Expired(entry, now)) _entries.Remove(key);
        if (_entries.Count < maxEntries) return;
        foreach (var (key, entry) in _entries.ToList())
            if (entry.Task.IsCompleted) _entries.Remove(key);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
