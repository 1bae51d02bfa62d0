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
        await using var ahead = ReadAhead<int>.Start(Numbers(1000), batch: 7, Ct);
        var seen = new List<int>();
        await foreach (var i in ahead.ReadAllAsync(Ct)) seen.Add(i);
        Assert.Equal(Enumerable.Range(0, 1000), seen);
    }

    /// <summary>Like ListAllVmsAsync: a page of items at once, then a wait for the next page.</summary>
    private static async IAsyncEnumerable<int> Pages(int pages, int perPage, Exception? then = null)
    {
        for (var p = 0; p < pages; p++)
        {
            await Task.Delay(1);
            for (var i = 0; i < perPage; i++) yield return p * perPage + i;
        }
        if (then is not null) throw then;
    }

    [Theory]
    [InlineData(500)]
    [InlineData(7)]
    public async Task Pages_arrive_in_order_whatever_the_batch(int batch)
    {
        await using var ahead = ReadAhead<int>.Start(Pages(5, 100), batch, Ct);
        var seen = new List<int>();
        await foreach (var i in ahead.ReadAllAsync(Ct)) seen.Add(i);
        Assert.Equal(Enumerable.Range(0, 500), seen);
    }

    [Fact]
    public async Task A_failure_after_a_page_comes_after_that_page()
    {
        var failure = new TimeoutException("page 3 timed out");
        await using var ahead = ReadAhead<int>.Start(Pages(2, 100, failure), 500, Ct);
        var seen = new List<int>();
        Assert.Same(failure, await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var i in ahead.ReadAllAsync(Ct)) seen.Add(i);
        }));
        Assert.Equal(Enumerable.Range(0, 200), seen);
    }

    [Fact]
    public async Task The_source_is_read_before_anyone_asks()
    {
        var started = new TaskCompletionSource();
        await using var ahead = ReadAhead<int>.Start(Numbers(3, started: started), batch: 2, Ct);
        await started.Task.WaitAsync(Ct); // no reader yet
    }

    [Fact]
    public async Task The_sources_exception_comes_as_it_was_thrown_after_the_items_before_it()
    {
        var failure = new InvalidOperationException("page 3 failed");
        await using var ahead = ReadAhead<int>.Start(Numbers(5, failure), batch: 2, Ct);
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
        var ahead = ReadAhead<int>.Start(Numbers(int.MaxValue), batch: 3, Ct);
        await foreach (var i in ahead.ReadAllAsync(Ct))
            if (i == 10) break;
        await ahead.DisposeAsync(); // returns: the pump saw the cancellation
    }
}
