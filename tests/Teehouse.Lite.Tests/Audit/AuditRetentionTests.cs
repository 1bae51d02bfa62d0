using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Teehouse.Lite.Audit;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Audit;

/// <summary>audit.retention_days: records older than the window go, newer ones stay; 0 keeps everything.</summary>
public sealed class AuditRetentionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Records_older_than_the_window_are_deleted_and_newer_ones_kept()
    {
        await using var app = await TestApp.StartAsync(c => c.Audit.RetentionDays = 30);
        var now = DateTime.UtcNow;
        await SeedAsync(app, now, ageDays: [400, 31, 29, 1]);

        var deleted = await Retention(app).PurgeAsync(now, Ct);

        Assert.Equal(2, deleted);
        Assert.Equal(["aged 29 days", "aged 1 days"], await ActionsAsync(app));
    }

    [Fact]
    public async Task Zero_keeps_every_record()
    {
        await using var app = await TestApp.StartAsync(c => c.Audit.RetentionDays = 0);
        var now = DateTime.UtcNow;
        await SeedAsync(app, now, ageDays: [4000, 1]);

        Assert.Equal(0, await Retention(app).PurgeAsync(now.AddYears(50), Ct));
        Assert.Equal(2, (await ActionsAsync(app)).Count);
    }

    private static AuditRetention Retention(TestApp app) =>
        app.App.Services.GetServices<IHostedService>().OfType<AuditRetention>().Single();

    private static async Task SeedAsync(TestApp app, DateTime now, int[] ageDays) =>
        await new AuditStore(app.Db).InsertAsync(ageDays.Select(days => new AuditRecord
        {
            At = Clock.ToText(now.AddDays(-days)),
            Username = "admin",
            Action = $"aged {days} days",
            Status = 200,
            Result = "ok",
            ClientAddress = "127.0.0.1",
        }).ToList(), Ct);

    private static async Task<List<string>> ActionsAsync(TestApp app)
    {
        await using var c = await app.Db.OpenAsync(Ct);
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT action FROM audit_log ORDER BY at";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var actions = new List<string>();
        while (await reader.ReadAsync(Ct)) actions.Add(reader.GetString(0));
        return actions;
    }
}
