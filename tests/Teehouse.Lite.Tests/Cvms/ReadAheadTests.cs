using System.Runtime.CompilerServices;
using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class ReadAheadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async IAsyncEnumerable<int> Numbers(int count, Exception? then = null, TaskCompletionSource? started = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        started?.TrySetResult();
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            yield return i;
        }
        if (then is not null) throw then;
    }

    [Fact]
    public async Task Items_arrive_in_order()
    {
        await using var ahead = ReadAhead<int>.Start(Numbers(1000), capacity: 7, Ct);
        var seen = new List<int>();
        await foreach (var i in ahead.ReadAllAsync(Ct)) seen.Add(i);
        Assert.Equal(Enumerable.Range(0, 1000), seen);
    }

    [Fact]
    public async Task The_source_is_read_before_anyone_asks()
    {
        var started = new TaskCompletionSource();
        await using var ahead = ReadAhead<int>.Start(Numbers(3, started: started), capacity: 2, Ct);
        await started.Task.WaitAsync(Ct); // no reader yet
    }

    [Fact]
    public async Task The_sources_exception_comes_as_it_was_thrown_after_the_items_before_it()
    {
        var failure = new InvalidOperationException("page 3 failed");
        await using var ahead = ReadAhead<int>.Start(Numbers(5, failure), capacity: 2, Ct);
        var seen = new List<int>();
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var i in ahead.ReadAllAsync(Ct)) seen.Add(i);
        });
        Assert.Same(failure, thrown);
        Assert.Equal([0, 1, 2, 3, 4], seen);
    }

    [Fact]
    public async Task Disposing_stops_a_source_nobody_reads_to_the_end()
    {
        var ahead = ReadAhead<int>.Start(Numbers(int.MaxValue), capacity: 3, Ct);
        await foreach (var i in ahead.ReadAllAsync(Ct))
            if (i == 10) break;
        await ahead.DisposeAsync(); // returns: the pump saw the cancellation
    }
}
