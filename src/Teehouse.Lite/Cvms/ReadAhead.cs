using System.Threading.Channels;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Reads a paged source ahead of its consumer, from the moment it is started: the first vmm Status page is asked for
/// while the route does its own database reads, and the next page while the route maps and writes this one, so the
/// two overlap instead of taking turns (listing a big host costs about the vmm's time, not the vmm's plus ours). At
/// most <c>capacity</c> items wait. The source's exception reaches the consumer as it was thrown, after the items read
/// before it; disposing stops the source.
/// </summary>
public sealed class ReadAhead<T> : IAsyncDisposable
{
    private readonly Channel<T> _channel;
    private readonly CancellationTokenSource _stop;
    private readonly Task _pump;

    private ReadAhead(IAsyncEnumerable<T> source, int capacity, CancellationToken ct)
    {
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _pump = Task.Run(() => PumpAsync(source, _channel.Writer, _stop.Token), CancellationToken.None);
    }

    public static ReadAhead<T> Start(IAsyncEnumerable<T> source, int capacity, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        return new ReadAhead<T>(source, capacity, ct);
    }

    /// <summary>The items in the source's order; throws what the source threw once the items before it are read.</summary>
    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken ct = default) => _channel.Reader.ReadAllAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false); // never throws: the pump hands every exception to the channel
        _stop.Dispose();
    }

    private static async Task PumpAsync(IAsyncEnumerable<T> source, ChannelWriter<T> writer, CancellationToken ct)
    {
        try
        {
            await foreach (var item in source.WithCancellation(ct).ConfigureAwait(false))
                await writer.WriteAsync(item, ct).ConfigureAwait(false);
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }
}
