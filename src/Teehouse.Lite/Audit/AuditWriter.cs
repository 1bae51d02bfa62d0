using System.Threading.Channels;

namespace Teehouse.Lite.Audit;

/// <summary>
/// Takes audit records off the request path: <see cref="TryRecord"/> only puts the record in a bounded queue, and a
/// background loop writes whatever has queued up in one transaction. A request is never slowed by the database lock
/// nor failed by a write error; when the queue is full (the database stuck for a long while) or a batch cannot be
/// written, the loss is logged. Readers that must see every earlier record call <see cref="FlushAsync"/>.
/// </summary>
public sealed class AuditWriter(AuditStore store, ILogger<AuditWriter> logger) : IHostedLifecycleService
{
    public const int Capacity = 10_000;
    private const int MaxBatch = 500;

    // A queue item is a record, or a flush marker completed once everything queued before it is written.
    private readonly Channel<(AuditRecord? Record, TaskCompletionSource? Flushed)> _queue =
        Channel.CreateBounded<(AuditRecord?, TaskCompletionSource?)>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private long _dropped;

    /// <summary>Records lost because the queue was full or their batch failed (logged as they happen).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void TryRecord(AuditRecord record)
    {
        if (_queue.Writer.TryWrite((record, null))) return;
        // Logged at most once per power of two, so a stuck database does not also flood the log.
        var dropped = Interlocked.Increment(ref _dropped);
        if ((dropped & (dropped - 1)) == 0)
            logger.LogError("Audit queue full ({Capacity} records): {Dropped} audit records dropped so far ({Action})",
                Capacity, dropped, record.Action);
    }

    /// <summary>Waits until every record queued before the call is written (or given up on, which is logged).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try { await _queue.Writer.WriteAsync((null, flushed), ct); }
        catch (ChannelClosedException) { return; } // stopped: everything queued is being written out
        await flushed.Task.WaitAsync(ct);
    }

    private Task _loop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(WriteAllAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    // The web server is a hosted service too, stopped after this one (reverse order of registration) while it lets the
    // last requests finish: the queue stays open until every hosted service has stopped, and is then written out.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WriteAllAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync()) await WriteBatchAsync(reader, CancellationToken.None);
    }

    private async Task WriteBatchAsync(ChannelReader<(AuditRecord? Record, TaskCompletionSource? Flushed)> reader, CancellationToken ct)
    {
        var batch = new List<AuditRecord>();
        var flushes = new List<TaskCompletionSource>();
        while (batch.Count < MaxBatch && reader.TryRead(out var item))
        {
            if (item.Record is not null) batch.Add(item.Record);
            if (item.Flushed is not null) flushes.Add(item.Flushed);
        }
        try
        {
            await store.InsertAsync(batch, ct);
        }
        catch (Exception e)
        {
            Interlocked.Add(ref _dropped, batch.Count);
            logger.LogError(e, "Could not write {Count} audit records", batch.Count);
        }
        foreach (var flushed in flushes) flushed.TrySetResult();
    }
}
