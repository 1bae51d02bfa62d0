using System.Collections.Concurrent;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// Concurrent identical Status pages share one call: dashboards and scripts polling the same host's listing at once
/// (and the pinger passing by) cost the vmm, and us, one fetch and one parse per page instead of one per client.
/// A caller only ever joins a call already in flight when it arrived (never one that has finished), so what it gets is
/// no older than a call it could have made itself. The shared call runs under the transport's own request timeout,
/// not under any one caller's cancellation: a client that leaves does not fail the others; each caller stops waiting
/// on its own token.
/// <para>The answer is shared, so it is read-only to every caller (VmInfo is init-only).</para>
/// </summary>
internal sealed class StatusFlights
{
    private readonly ConcurrentDictionary<FlightKey, Task<VmmStatusResponse>> _flights = new();

    /// <summary>How many calls were started (joins excluded): for tests.</summary>
    public long Started => Interlocked.Read(ref _started);

    private long _started;

    public Task<VmmStatusResponse> JoinAsync(FlightKey key, Func<Task<VmmStatusResponse>> call, CancellationToken ct)
    {
        while (true)
        {
            if (_flights.TryGetValue(key, out var running)) return running.WaitAsync(ct);
            var flight = new TaskCompletionSource<VmmStatusResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_flights.TryAdd(key, flight.Task)) continue;
            Interlocked.Increment(ref _started);
            _ = RunAsync(key, call, flight);
            return flight.Task.WaitAsync(ct);
        }
    }

    private async Task RunAsync(FlightKey key, Func<Task<VmmStatusResponse>> call, TaskCompletionSource<VmmStatusResponse> flight)
    {
        VmmStatusResponse? answer = null;
        Exception? failure = null;
        try
        {
            answer = await call().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        // Out of the table before the answer is handed over: a caller arriving from now on starts a fresh call.
        _flights.TryRemove(new KeyValuePair<FlightKey, Task<VmmStatusResponse>>(key, flight.Task));
        if (failure is null) flight.SetResult(answer!);
        else flight.SetException(failure);
        // Nobody may be waiting any more (all callers cancelled): observe the failure so it is not reported as unobserved.
        _ = flight.Task.Exception;
    }
}

/// <summary>
/// Which calls are the same: the same vmm as the same peer (its label names it in errors) with the same credentials,
/// and the same page of the plain listing. Credentials are compared by value, never printed (the record's generated
/// ToString is overridden).
/// </summary>
internal readonly record struct FlightKey(string Endpoint, string Label, string? Credentials, bool Brief, int Page, int PageSize)
{
    public override string ToString() => $"{Label} Status page {Page}×{PageSize}";
}
