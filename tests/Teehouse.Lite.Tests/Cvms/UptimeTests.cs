using Dapper;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>Uptime is derived from when the VM started, so a ping that only sees VMs grow older writes nothing.</summary>
public sealed class UptimeTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private Db _db = null!;
    private CvmStore _store = null!;
    private long _teepodId;

    public async ValueTask InitializeAsync()
    {
        _db = new Db(_dir.File("t.db"), 5000);
        await Migrator.MigrateAsync(_db);
        _store = new CvmStore(_db);
        await using var c = await _db.OpenAsync();
        _teepodId = await c.ExecuteScalarAsync<long>(
            "INSERT INTO teepods (name, endpoint, created_at) VALUES ('tdx-1', 'http://127.0.0.1:1', 'now') RETURNING id");
        // Counts every statement that touches a CVM row, whatever code path it comes from.
        await c.ExecuteAsync("""
            CREATE TABLE cvm_writes (n INTEGER);
            CREATE TRIGGER cvm_written AFTER UPDATE ON cvms BEGIN INSERT INTO cvm_writes VALUES (1); END;
            """);
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private static VmInfo Vm(string uptime, string status = "running") => new()
    {
        Id = "4f6e0bb0-1c55-4c1c-9f7e-7a1b7b0e0001", Name = "web-one", Status = status, Uptime = uptime,
        AppId = "1234567890abcdef1234567890abcdef12345678",
    };

    private async Task SyncAsync(VmInfo vm)
    {
        var session = await CvmSyncSession.BeginAsync(_store, _teepodId, new CvmSyncOptions(InsertNew: true));
        await session.ApplyAsync([vm]);
    }

    /// <summary>The first sync inserts the row: only what follows is counted.</summary>
    private async Task FirstSyncAsync(VmInfo vm)
    {
        await SyncAsync(vm);
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync("DELETE FROM cvm_writes");
    }

    private async Task<long> WritesAsync()
    {
        await using var c = await _db.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM cvm_writes");
    }

    private async Task<CvmRow> RowAsync() =>
        (await _store.ForTeepodAsync(_teepodId)).Values.Single();

    [Fact]
    public async Task A_vm_seen_older_is_not_rewritten_and_its_uptime_still_moves_on()
    {
        await FirstSyncAsync(Vm("1h 2m 3s"));
        var row = await RowAsync();
        var expected = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3723;
        Assert.InRange(row.StartedAt!.Value, expected - 2, expected);

        await SyncAsync(Vm("1h 2m 4s"));
        await SyncAsync(Vm("1h 2m 5s"));
        Assert.Equal(0, await WritesAsync());

        // Shown as the vmm would say it now, not as it was last written.
        var later = DateTimeOffset.FromUnixTimeSeconds(row.StartedAt.Value + 7200 + 61);
        Assert.Equal("2h 1m 1s", (await RowAsync()).UptimeAt(later));
    }

    [Fact]
    public async Task A_restart_is_written_once()
    {
        await FirstSyncAsync(Vm("3days 4h"));
        await SyncAsync(Vm("5s"));
        Assert.Equal(1, await WritesAsync());
        var row = await RowAsync();
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - row.StartedAt!.Value, 5, 7);
        await SyncAsync(Vm("6s"));
        Assert.Equal(1, await WritesAsync());
    }

    [Fact]
    public async Task An_uptime_that_is_not_a_duration_is_kept_as_text_and_written_only_when_it_changes()
    {
        await FirstSyncAsync(Vm("never", "stopped"));
        var row = await RowAsync();
        Assert.Null(row.StartedAt);
        Assert.Equal("never", row.UptimeAt(DateTimeOffset.UtcNow));
        await SyncAsync(Vm("never", "stopped"));
        Assert.Equal(0, await WritesAsync());
        await SyncAsync(Vm("10s", "stopped"));
        Assert.Equal(1, await WritesAsync());
        Assert.NotNull((await RowAsync()).StartedAt);
    }

    [Fact]
    public async Task A_status_change_is_still_written()
    {
        await FirstSyncAsync(Vm("1m"));
        await SyncAsync(Vm("1m 1s", "stopped"));
        Assert.Equal(1, await WritesAsync());
        Assert.Equal("stopped", (await RowAsync()).Status);
    }
}

public sealed class VmUptimeTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(59L, "59s")]
    [InlineData(3723L, "1h 2m 3s")]
    [InlineData(86_400L, "1day")]
    [InlineData(2 * 86_400L + 4 * 3600, "2days 4h")]
    [InlineData(31_557_600L + 2_630_016 * 2 + 1, "1year 2months 1s")]
    public void Formats_and_reads_back_humantime(long seconds, string text)
    {
        Assert.Equal(text, VmUptime.Format(seconds));
        Assert.True(VmUptime.TryParseSeconds(text, out var back));
        Assert.Equal(seconds, back);
    }

    [Fact]
    public void Writes_what_the_simulator_writes_for_any_duration()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var seconds = i < 200 ? i : (long)(random.NextDouble() * 10 * 31_557_600L);
            Assert.Equal(Simulator.Humantime.Format((ulong)seconds), VmUptime.Format(seconds));
        }
    }

    [Theory]
    [InlineData("never")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("1h x")]
    [InlineData("h")]
    [InlineData("99999999999999999999s")]
    public void Text_that_is_not_a_duration_has_no_start(string? text) =>
        Assert.Null(VmUptime.StartedAt(text, DateTimeOffset.UtcNow));

    [Fact]
    public void Sub_second_parts_are_truncated_as_dstack_does() =>
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1000).ToUnixTimeSeconds() - 3, VmUptime.StartedAt("3s 900ms", DateTimeOffset.FromUnixTimeSeconds(1000)));
}
