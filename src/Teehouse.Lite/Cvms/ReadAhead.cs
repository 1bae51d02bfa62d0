using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Reads a paged source ahead of its consumer, from the moment it is started: the first vmm Status page is asked for
/// while the route does its own database reads, and the next page while the route maps and writes this one, so the
/// two overlap instead of taking turns (listing a big host costs about the vmm's time, not the vmm's plus ours).
/// Items travel in batches (whatever the source had ready before it had to wait, so a page at a time, at most
/// <c>batch</c> items): one hand-over per page rather than per item. At most one batch waits while the next is read.
/// The source's exception reaches the consumer as it was thrown, after the items read before it; disposing stops the
/// source.
/// </summary>
public sealed class ReadAhead<T> : IAsyncDisposable
{
    private readonly Channel<List<T>> _channel;
    private readonly CancellationTokenSource _stop;
    private readonly Task _pump;

    private ReadAhead(IAsyncEnumerable<T> source, int batch, CancellationToken ct)
    {
        _channel = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _pump = Task.Run(() => PumpAsync(source, batch, _channel.Writer, _stop.Token), CancellationToken.None);
    }

    public static ReadAhead<T> Start(IAsyncEnumerable<T> source, int batch, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return new ReadAhead<T>(source, batch, ct);
    }

    /// <summary>The items in the source's order; throws what the source threw once the items before it are read.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var batch in _channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            foreach (var item in batch) yield return item;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false); // never throws: the pump hands every exception to the channel
        _stop.Dispose();
    }

    private static async Task PumpAsync(IAsyncEnumerable<T> source, int size, ChannelWriter<List<T>> writer, CancellationToken ct)
    {
        var batch = new List<T>();
        try
        {
            await using var items = source.GetAsyncEnumerator(ct);
            while (true)
            {
                var next = items.MoveNextAsync();
                // The source has to wait (the next page is on its way): hand over what is ready meanwhile.
                if (batch.Count > 0 && (!next.IsCompleted || batch.Count >= size))
                {
                    var ready = batch;
                    batch = [];
                    await HandOverAsync(writer, ready, next, ct).ConfigureAwait(false);
                }
                if (!await next.ConfigureAwait(false)) break;
                batch.Add(items.Current);
            }
            if (batch.Count > 0) await writer.WriteAsync(batch, ct).ConfigureAwait(false);
            writer.Complete();
        }
        catch (Exception e)
        {
            // Items read before the failure go first, as they would have without the read-ahead (unless the
            // consumer is gone, which the cancellation says).
            if (batch.Count > 0 && !ct.IsCancellationRequested)
            {
                try
                {
                    await writer.WriteAsync(batch, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // the consumer left meanwhile
                }
            }
            writer.TryComplete(e);
        }
    }

    /// <summary>Hands a batch over; if that fails (the consumer left), the source's pending read is let finish first,
    /// because an async iterator cannot be disposed in the middle of a read.</summary>
    private static async Task HandOverAsync(ChannelWriter<List<T>> writer, List<T> batch, ValueTask<bool> pending, CancellationToken ct)
    {
        try
        {
            await writer.WriteAsync(batch, ct).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch
            {
                // the failure that matters is the hand-over's
            }
            throw;
        }
    }
}
