using Dapper;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Pending;

/// <summary>The one prepare-then-commit table on a real SQLite file: renewing, claiming once, purging.</summary>
public sealed class PendingStoreTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private Db _db = null!;
    private PendingStore _store = null!;
    private long _userId;

    public async ValueTask InitializeAsync()
    {
        _db = new Db(_dir.File("t.db"), 5000);
        await Migrator.MigrateAsync(_db);
        _store = new PendingStore(_db);
        _userId = (await new UserStore(_db).GetOrCreateAsync("dana", Roles.User)).User.Id;
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private PendingOperation Op(string key, DateTime expires) => new()
    {
        Kind = PendingKind.Deploy, LookupKey = key, UserId = _userId, AppId = new string('a', 40), ComposeHash = new string('b', 64),
        Payload = "{}", Vcpu = 1, Memory = 1024, DiskSize = 10, CreatedAt = Clock.NowText(), ExpiresAt = Clock.ToText(expires),
    };

    [Fact]
    public async Task Preparing_the_same_operation_again_renews_it_until_it_is_claimed()
    {
        var first = (await _store.SaveAsync(Op("k", DateTime.UtcNow.AddMinutes(5))))!;
        var renewed = (await _store.SaveAsync(Op("k", DateTime.UtcNow.AddHours(1))))!;
        Assert.Equal(first.Id, renewed.Id);
        Assert.True(string.CompareOrdinal(renewed.ExpiresAt, first.ExpiresAt) > 0);

        await _db.InTransactionAsync((c, tx) => PendingStore.ClaimAsync(c, tx, first.Id, PendingState.Pending, null, null, Clock.NowText()));
        Assert.Null(await _store.SaveAsync(Op("k", DateTime.UtcNow.AddHours(1))));
        Assert.Null(await _store.SaveAsync(Op("k", DateTime.UtcNow.AddHours(1)), renewDone: true)); // committing: never renewed
    }

    [Fact]
    public async Task Of_many_concurrent_claims_exactly_one_wins()
    {
        for (var round = 0; round < 20; round++)
        {
            var op = (await _store.SaveAsync(Op($"race-{round}", DateTime.UtcNow.AddHours(1))))!;
            var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
                _db.InTransactionAsync((c, tx) => PendingStore.ClaimAsync(c, tx, op.Id, PendingState.Pending, null, null, Clock.NowText())))));
            Assert.Single(claims, won => won);
        }
    }

    [Fact]
    public async Task Expired_operations_are_purged_and_finished_ones_kept_a_day_longer()
    {
        var now = DateTime.UtcNow;
        var live = (await _store.SaveAsync(Op("live", now.AddMinutes(30))))!;
        var expired = (await _store.SaveAsync(Op("expired", now.AddMinutes(-1))))!;
        var doneRecently = (await _store.SaveAsync(Op("done-recent", now.AddHours(-2))))!;
        var doneLongAgo = (await _store.SaveAsync(Op("done-old", now.AddDays(-2))))!;
        await _db.InTransactionAsync(async (c, tx) =>
        {
            await PendingStore.CompleteAsync(c, tx, doneRecently.Id, null, Clock.NowText());
            await PendingStore.CompleteAsync(c, tx, doneLongAgo.Id, null, Clock.NowText());
            return 0;
        });

        Assert.Equal(2, await _store.PurgeAsync(now));
        await using var c = await _db.OpenAsync();
        var left = (await c.QueryAsync<string>("SELECT lookup_key FROM pending_operations ORDER BY lookup_key")).ToList();
        Assert.Equal(["done-recent", "live"], left);
        Assert.NotEqual(expired.Id, live.Id);
    }
}
