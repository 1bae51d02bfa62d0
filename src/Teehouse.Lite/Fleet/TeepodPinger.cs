using System.Diagnostics;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Metrics;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Fleet;

/// <summary>
/// Pings every enabled teepod each <c>vmm.ping_interval_s</c>, a bounded number at a time, and records what it saw
/// (online, version, limits, resources in use, images) or why it failed (offline). API requests never wait on it:
/// they read what the last ping stored. The same round reconciles each teepod's CVMs, finishes commits that died
/// half-way, and purges pending operations nobody can commit any more. It sits above Teepods, Cvms and Pending so that
/// none of them needs to know the others.
/// </summary>
public sealed class TeepodPinger(
    TeepodStore store, TeepodProbe probe, CvmStore cvms, CvmOperations operations, PendingStore pending,
    DstackClientFactory clients, TeehouseConfig config, TeehouseMetrics metrics, ILogger<TeepodPinger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(config.Vmm.PingIntervalS));
        do
        {
            try
            {
                await PingAllAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Teepod ping round failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task PingAllAsync(CancellationToken ct)
    {
        var purged = await pending.PurgeAsync(DateTime.UtcNow);
        if (purged > 0) logger.LogInformation("Purged {Count} expired pending operations", purged);
        var teepods = await store.ListAsync(includeDisabled: false);
        await Parallel.ForEachAsync(teepods,
            new ParallelOptions { MaxDegreeOfParallelism = config.Vmm.PingConcurrency, CancellationToken = ct },
            async (teepod, token) => await PingAsync(teepod, token));
    }

    public async Task<bool> PingAsync(TeepodRecord teepod, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var answered = false;
        try
        {
            // The same listing reconciles the CVMs recorded for this teepod (status, uptime, instance id, gone).
            var reconcile = await CvmSyncSession.BeginAsync(cvms, teepod.Id, CvmSyncOptions.Reconcile);
            var snapshot = await probe.SnapshotAsync(teepod.Endpoint, teepod.Credentials(), ct, reconcile.ApplyAsync, TeepodClients.Label(teepod.Name),
                teepod.ImagePath);
            answered = true;
            metrics.RecordPing(teepod.Id, teepod.Name, Stopwatch.GetElapsedTime(started), ok: true);
            await store.RecordPingAsync(teepod.Id, snapshot, Clock.NowText());
            var vmm = clients.VmmFor(teepod);
            var summary = await reconcile.FinishAsync(vmm, ct);
            var repaired = await operations.RepairInterruptedAsync(teepod, ct);
            if (repaired > 0) logger.LogInformation("Teepod {Id}: recorded {Count} CVMs of interrupted deploys", teepod.Id, repaired);
            if (summary.Updated + summary.Gone > 0)
                logger.LogInformation("Teepod {Id}: {Updated} CVMs changed, {Gone} gone", teepod.Id, summary.Updated, summary.Gone);
            if (teepod.Status != TeepodStatus.Online)
                logger.LogInformation("Teepod {Id} ({Name}) is online (dstack-vmm {Version})", teepod.Id, teepod.Name, snapshot.Version);
            return true;
        }
        catch (DstackException e)
        {
            // A failure after the vmm answered (reconciling its VMs) is not a slow ping.
            if (!answered) metrics.RecordPing(teepod.Id, teepod.Name, Stopwatch.GetElapsedTime(started), ok: false);
            // The full detail is stored: admins see it as last_error, everyone else a scrubbed form (TeepodRecord.LastError).
            await store.RecordFailureAsync(teepod.Id, e.FullDetail, Clock.NowText());
            if (teepod.Status != TeepodStatus.Offline || teepod.LastErrorDetail != e.FullDetail)
                logger.LogWarning("Teepod {Id} ({Name}) is offline: {Detail}", teepod.Id, teepod.Name, e.FullDetail);
            return false;
        }
    }
}
