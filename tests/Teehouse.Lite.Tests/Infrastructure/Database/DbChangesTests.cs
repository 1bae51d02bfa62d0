using Dapper;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Infrastructure.Database;

public sealed class DbChangesTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private Db _db = null!;
    private DbChanges _changes = null!;

    public async ValueTask InitializeAsync()
    {
        _db = new Db(_dir.File("t.db"), 5000);
        await Migrator.MigrateAsync(_db);
        _changes = new DbChanges(_db);
    }

    public ValueTask DisposeAsync()
    {
        _changes.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void Nothing_written_nothing_moves()
    {
        var first = _changes.Current();
        Assert.Equal(first, _changes.Current());
        Assert.Equal(first, _changes.Current());
    }

    [Fact]
    public async Task Looks_without_a_commit_read_shared_memory_and_ask_sqlite_only_after_one()
    {
        var first = _changes.Current();
        var asked = _changes.Looks;
        for (var i = 0; i < 1000; i++) Assert.Equal(first, _changes.Current());
        Assert.Equal(asked, _changes.Looks);

        await using (var c = await _db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO apps (app_id, user_id, created_at) VALUES ('a2', NULL, 'now')");
        var after = _changes.Current();
        Assert.True(after.Epoch > first.Epoch);
        Assert.Equal(asked + 1, _changes.Looks);
        Assert.Equal(after, _changes.Current());
        Assert.Equal(asked + 1, _changes.Looks);
    }

    [Fact]
    public async Task Many_threads_looking_while_another_commits_all_see_the_commit_afterwards()
    {
        var before = _changes.Current();
        using var stop = new CancellationTokenSource();
        var lookers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) _changes.Current();
        })).ToArray();
        for (var i = 0; i < 50; i++)
        {
            await using (var c = await _db.OpenAsync())
                await c.ExecuteAsync("INSERT INTO teepods (name, endpoint, created_at) VALUES (@n, @n, 'now')", new { n = $"tp-{i}" });
            // The write has returned: any look from now on must see it.
            Assert.Equal(before.Teepods + i + 1, _changes.Current().Teepods);
        }
        await stop.CancelAsync();
        await Task.WhenAll(lookers);
    }

    [Fact]
    public async Task Any_commit_moves_the_epoch_and_only_its_area_counter()
    {
        var before = _changes.Current();
        await using (var c = await _db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO apps (app_id, user_id, created_at) VALUES ('a1', NULL, 'now')");
        var afterApps = _changes.Current();
        Assert.True(afterApps.Epoch > before.Epoch);
        Assert.Equal((before.Auth, before.Teepods), (afterApps.Auth, afterApps.Teepods));

        var (user, _) = await new UserStore(_db).GetOrCreateAsync("dora", Roles.User);
        var afterUser = _changes.Current();
        Assert.True(afterUser.Auth > afterApps.Auth);
        Assert.Equal(afterApps.Teepods, afterUser.Teepods);

        await using (var c = await _db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO teepods (name, endpoint, created_at) VALUES ('tp-one', 'http://127.0.0.1:1', 'now')");
        var afterTeepod = _changes.Current();
        Assert.True(afterTeepod.Teepods > afterUser.Teepods);
        Assert.Equal(afterUser.Auth, afterTeepod.Auth);
        Assert.NotEqual(0, user.Id);
    }

    [Fact]
    public async Task Token_use_is_not_a_change_of_access_but_revocation_is()
    {
        var (user, _) = await new UserStore(_db).GetOrCreateAsync("erin", Roles.User);
        var tokens = new TokenStore(_db);
        var (record, _) = await tokens.CreateAsync(user, "t");
        var created = _changes.Current();

        await tokens.TouchAsync(record.Id);
        var touched = _changes.Current();
        Assert.True(touched.Epoch > created.Epoch, "the write is seen as a commit");
        Assert.Equal(created.Auth, touched.Auth);

        Assert.True(await tokens.RevokeAsync(record.Id));
        Assert.True(_changes.Current().Auth > touched.Auth);
    }

    [Fact]
    public async Task A_commit_from_another_process_is_seen()
    {
        var before = _changes.Current();
        var config = _dir.File("teehouse.toml");
        await File.WriteAllTextAsync(config, $"""
            [database]
            path = "{_db.Path}"
            [log]
            file = ""
            """, TestContext.Current.CancellationToken);
        var cli = TeehouseCliProcess.Path;
        var (exit, _, err) = await Packaging.ChildProcess.RunAsync(cli, _dir.Path, TestContext.Current.CancellationToken,
            "token", "create", "--user", "frank", "--config", config);
        Assert.True(exit == 0, err);
        var after = _changes.Current();
        Assert.True(after.Auth > before.Auth);
        Assert.True(after.Epoch > before.Epoch);
    }

    [Fact]
    public async Task Pooled_connections_keep_their_settings()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var c = await _db.OpenAsync();
            Assert.Equal(1L, await c.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
            Assert.Equal(5000L, await c.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
            Assert.Equal(1L, await c.ExecuteScalarAsync<long>("PRAGMA synchronous"));
            Assert.Equal("wal", await c.ExecuteScalarAsync<string?>("PRAGMA journal_mode"));
        }
    }
}

/// <summary>The teehouse CLI as a separate process: the JIT apphost the build copies next to the tests.</summary>
public static class TeehouseCliProcess
{
    public static string Path
    {
        get
        {
            var path = System.IO.Path.Combine(AppContext.BaseDirectory, "teehouse");
            Assert.True(File.Exists(path), $"{path} is missing: the test project references src/Teehouse.Lite");
            return path;
        }
    }
}
