using System.Globalization;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Cvms;

/// <summary>What a graceful restart does next, given what the vmm reports now.</summary>
public enum RestartStep
{
    /// <summary>The guest is still powering off: look again later.</summary>
    Wait,

    /// <summary>The VM is down: start it, and the restart is done.</summary>
    Start,

    /// <summary>The guest did not power off within the grace period: stop it hard, then start it.</summary>
    ForceStopThenStart,

    /// <summary>The VM is being removed or is gone: nothing to restart.</summary>
    Abandon,
}

public static class RestartPlan
{
    /// <param name="status">The vmm's status for the VM, or null when the vmm does not know it any more.</param>
    /// <param name="elapsed">Time since the shutdown was asked for.</param>
    /// <param name="grace">How long the guest may take to power off.</param>
    public static RestartStep Next(string? status, TimeSpan elapsed, TimeSpan grace) => status switch
    {
        null or "removing" => RestartStep.Abandon,
        "stopped" or "exited" => RestartStep.Start,
        _ => elapsed >= grace ? RestartStep.ForceStopThenStart : RestartStep.Wait,
    };
}

/// <summary>
/// Finishes graceful restarts. <c>POST /cvms/{id}/restart</c> without <c>force</c> asks the guest to shut down
/// (ShutdownVm) and returns at once with the CVM <c>in_progress</c>; a guest takes seconds to power off, longer than a
/// request should hang. This worker then starts the VM once the vmm reports it stopped, or stops it hard first when
/// the guest has not powered off within <see cref="ShutdownGrace"/>. The operation lives in the cvms row
/// (progress_operation = 'restart'), so a restart interrupted by a server restart is picked up again, and any other
/// power request on the CVM cancels it by clearing the row.
/// </summary>
public sealed class CvmRestarter(CvmStore queries, DstackClientFactory clients, ILogger<CvmRestarter> logger) : BackgroundService
{
    public const string Operation = "restart";

    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>How long a guest may take to power off before the VM is stopped hard.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the vmm is asked while a restart waits.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A restart whose teepod stays unreachable this long is given up (and logged).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Called after a restart was recorded, so it is followed without waiting for the idle re-check.</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var pending = 0;
            try
            {
                pending = await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Following CVM restarts failed");
            }
            // Idle: sleep until a restart is recorded (or a minute passes, in case one was recorded by another process).
            var wait = pending > 0 ? PollInterval : TimeSpan.FromMinutes(1);
            try
            {
                await _wake.WaitAsync(wait, stoppingToken);
                while (_wake.CurrentCount > 0) await _wake.WaitAsync(stoppingToken); // collapse a burst of wake-ups
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One look at every restart in flight; returns how many are still waiting.</summary>
    public async Task<int> TickAsync(CancellationToken ct)
    {
        var rows = await queries.InProgressAsync(Operation);
        var waiting = 0;
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (row, token) =>
        {
            if (!await StepAsync(row, token)) Interlocked.Increment(ref waiting);
        });
        return waiting;
    }

    /// <summary>Advances one restart; true when it is over (done, abandoned or taken over by another request).</summary>
    private async Task<bool> StepAsync(CvmRow row, CancellationToken ct)
    {
        var elapsed = Elapsed(row.ProgressStartedAt);
        var vmm = clients.VmmOf(row);
        VmInfo? vm;
        try
        {
            vm = await vmm.GetInfoAsync(row.VmUuid, ct);
        }
        catch (DstackException e)
        {
            if (elapsed < ShutdownGrace + GiveUpAfter) return false;
            logger.LogWarning("Giving up the restart of CVM {Id}: teepod {Teepod} unreachable for {Elapsed}: {Detail}",
                row.Id, row.TeepodId, elapsed, e.FullDetail);
            await queries.EndProgressAsync(row.Id, row.ProgressCorrelationId);
            return true;
        }

        var step = RestartPlan.Next(vm?.Status, elapsed, ShutdownGrace);
        if (step == RestartStep.Wait) return false;

        // Claim the operation before acting: a stop or delete that came in meanwhile cleared it, and must win.
        if (!await queries.EndProgressAsync(row.Id, row.ProgressCorrelationId)) return true;
        try
        {
            switch (step)
            {
                case RestartStep.Abandon:
                    if (vm is null) await queries.MarkGoneAsync(row.Id);
                    logger.LogInformation("Restart of CVM {Id} dropped: its VM is {State}", row.Id, vm?.Status ?? "gone");
                    return true;
                case RestartStep.ForceStopThenStart:
                    logger.LogWarning("CVM {Id} did not power off within {Grace}; stopping it hard", row.Id, ShutdownGrace);
                    await vmm.StopVmAsync(row.VmUuid, ct);
                    break;
            }
            await vmm.StartVmAsync(row.VmUuid, ct);
            if (await vmm.GetInfoAsync(row.VmUuid, ct) is { } started) await queries.ObserveAsync(row.Id, started);
            logger.LogInformation("CVM {Id} restarted", row.Id);
        }
        catch (DstackException e)
        {
            // The restart is over either way; the VM stays as the vmm left it and the pinger records that.
            logger.LogWarning("Restarting CVM {Id} failed: {Detail}", row.Id, e.FullDetail);
        }
        return true;
    }

    private static TimeSpan Elapsed(string? startedAt) =>
        DateTime.TryParseExact(startedAt, Clock.Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var started)
            ? DateTime.UtcNow - started
            : TimeSpan.MaxValue;

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
