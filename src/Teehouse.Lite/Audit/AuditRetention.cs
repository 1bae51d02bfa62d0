using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Audit;

/// <summary>
/// Deletes audit records older than <c>audit.retention_days</c> (0: keeps them forever) once at start and then daily:
/// a range of the time index, so it costs the rows it removes, not the table.
/// </summary>
public sealed class AuditRetention(AuditStore store, TeehouseConfig config, ILogger<AuditRetention> logger) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.Audit.RetentionDays <= 0) return;
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                await PurgeAsync(DateTime.UtcNow, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Audit retention run failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One run as of <paramref name="now"/>; returns how many records went.</summary>
    public async Task<long> PurgeAsync(DateTime now, CancellationToken ct)
    {
        // 0 keeps everything: without this, a cutoff of "now" would delete the whole log.
        if (config.Audit.RetentionDays <= 0) return 0;
        var cutoff = Clock.ToText(now.AddDays(-config.Audit.RetentionDays));
        var deleted = await store.DeleteBeforeAsync(cutoff, ct);
        if (deleted > 0)
            logger.LogInformation("Deleted {Count} audit records older than {Days} days", deleted, config.Audit.RetentionDays);
        return deleted;
    }
}
