using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class AnswerCacheTests
{
    private static AnswerKey Key(long? owner = 2, string query = "q", long second = 0) =>
        new("cvms", owner, query, "2026-01-21", "http://h", 1000, second);

    [Fact]
    public void An_answer_is_served_while_its_epoch_lasts()
    {
        var cache = new AnswerCache();
        byte[] answer = [1, 2, 3];
        cache.Add(5, Key(), answer);
        Assert.True(cache.TryGet(5, Key(), out var hit));
        Assert.Same(answer, hit);
        Assert.Equal(1, cache.Hits);
        Assert.False(cache.TryGet(5, Key(query: "other"), out _));
    }

    [Fact]
    public void A_later_epoch_finds_nothing_and_drops_everything()
    {
        var cache = new AnswerCache();
        cache.Add(5, Key(), [1]);
        Assert.False(cache.TryGet(6, Key(), out _));
        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet(5, Key(), out _)); // no way back
    }

    [Fact]
    public void An_answer_read_under_an_older_epoch_is_not_filed()
    {
        var cache = new AnswerCache();
        cache.Add(6, Key(), [1]);
        cache.Add(5, Key(query: "late"), [2]); // its query started before the commit that moved the epoch to 6
        Assert.False(cache.TryGet(6, Key(query: "late"), out _));
        Assert.True(cache.TryGet(6, Key(), out _));
    }

    [Fact]
    public void Every_input_of_the_bytes_is_part_of_the_key()
    {
        var cache = new AnswerCache();
        cache.Add(1, Key(), [1]);
        Assert.False(cache.TryGet(1, Key(owner: 3), out _));  // another user
        Assert.False(cache.TryGet(1, Key(owner: null), out _)); // an admin
        Assert.False(cache.TryGet(1, Key(second: 99), out _));
        Assert.False(cache.TryGet(1, Key() with { ApiVersion = "2025-10-28" }, out _));
        Assert.False(cache.TryGet(1, Key() with { BaseUrl = "http://other" }, out _));
        Assert.False(cache.TryGet(1, Key() with { LinkExpiry = 1600 }, out _));
        Assert.False(cache.TryGet(1, Key() with { Route = "apps" }, out _));
    }

    [Fact]
    public void It_stays_bounded()
    {
        var cache = new AnswerCache();
        for (var i = 0; i < AnswerCache.MaxEntries * 3; i++) cache.Add(1, Key(query: $"q{i}"), [1]);
        Assert.InRange(cache.Count, 1, AnswerCache.MaxEntries);
        Assert.True(cache.TryGet(1, Key(query: $"q{AnswerCache.MaxEntries * 3 - 1}"), out _)); // the newest is kept

        var big = new byte[AnswerCache.MaxAnswerBytes / 2];
        for (var i = 0; i < 2 * AnswerCache.MaxBytes / big.Length; i++) cache.Add(1, Key(query: $"big{i}"), big);
        Assert.InRange(cache.Count * (long)big.Length, 0, AnswerCache.MaxBytes);

        cache.Add(1, Key(query: "huge"), new byte[AnswerCache.MaxAnswerBytes + 1]);
        Assert.False(cache.TryGet(1, Key(query: "huge"), out _));
    }

    [Fact]
    public void A_cvm_page_in_the_2025_shape_is_kept_for_its_second_only()
    {
        var logs = new SyslogLinks("http://h", new byte[32], 1000);
        AnswerKey At(string version, long second) => CvmsModule.ListKey(new CvmScope(2), null, 1, 1, 50, version, logs, second);
        Assert.NotEqual(At("2025-10-28", 100), At("2025-10-28", 101)); // uptime runs on
        Assert.Equal(At("2026-01-21", 100), At("2026-01-21", 101));    // no uptime in it
        Assert.NotEqual(CvmsModule.ListKey(new CvmScope(2), null, 1, 1, 50, "2026-01-21", logs, 0),
            CvmsModule.ListKey(new CvmScope(3), null, 1, 1, 50, "2026-01-21", logs, 0));
    }
}
