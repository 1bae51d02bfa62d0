using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>After a commit, a burst of the same read builds its answer once; other epochs and keys are never shared.</summary>
public sealed class AnswerCacheBuildTests
{
    private static AnswerKey Key(string query) => new("cvms", 7, query, "2026-01-21", "http://h", 600, 0);

    [Fact]
    public async Task Concurrent_reads_of_one_key_share_one_build()
    {
        var cache = new AnswerCache();
        var gate = new TaskCompletionSource();
        var builds = 0;
        async Task<byte[]> Build()
        {
            Interlocked.Increment(ref builds);
            await gate.Task;
            return [1, 2, 3];
        }
        var readers = Enumerable.Range(0, 8).Select(_ => cache.GetOrBuildAsync(5, Key("p1"), Build)).ToList();
        gate.SetResult();
        foreach (var answer in await Task.WhenAll(readers)) Assert.Equal([1, 2, 3], answer);
        Assert.Equal(1, builds);
        Assert.Equal([1, 2, 3], await cache.GetOrBuildAsync(5, Key("p1"), () => throw new InvalidOperationException("built again")));
    }

    [Fact]
    public async Task A_newer_epoch_or_another_key_builds_its_own()
    {
        var cache = new AnswerCache();
        Assert.Equal([1], await cache.GetOrBuildAsync(5, Key("p1"), () => Task.FromResult<byte[]>([1])));
        Assert.Equal([2], await cache.GetOrBuildAsync(5, Key("p2"), () => Task.FromResult<byte[]>([2])));
        Assert.Equal([3], await cache.GetOrBuildAsync(6, Key("p1"), () => Task.FromResult<byte[]>([3])));
        // A reader still on the old epoch gets a fresh build, never filed over the newer one.
        Assert.Equal([4], await cache.GetOrBuildAsync(5, Key("p1"), () => Task.FromResult<byte[]>([4])));
        Assert.Equal([3], await cache.GetOrBuildAsync(6, Key("p1"), () => Task.FromResult<byte[]>([9])));
    }

    [Fact]
    public async Task A_failed_build_fails_its_waiters_and_is_not_kept()
    {
        var cache = new AnswerCache();
        var gate = new TaskCompletionSource();
        async Task<byte[]> Failing()
        {
            await gate.Task;
            throw new TimeoutException("db busy");
        }
        var first = cache.GetOrBuildAsync(5, Key("p1"), Failing);
        var second = cache.GetOrBuildAsync(5, Key("p1"), Failing);
        gate.SetResult();
        await Assert.ThrowsAsync<TimeoutException>(() => first);
        await Assert.ThrowsAsync<TimeoutException>(() => second);
        Assert.Equal([1], await cache.GetOrBuildAsync(5, Key("p1"), () => Task.FromResult<byte[]>([1])));
    }
}
