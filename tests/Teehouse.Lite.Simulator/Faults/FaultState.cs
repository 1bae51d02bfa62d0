namespace Teehouse.Lite.Simulator.Faults;

/// <summary>The currently injected fault. Readers wait on <see cref="Changed"/> to notice a cleared hang.</summary>
internal sealed class FaultState
{
    private readonly Lock _gate = new();
    private FaultMode _mode;
    private TimeSpan _delay;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FaultState(FaultMode mode, TimeSpan delay)
    {
        _mode = mode;
        _delay = delay;
    }

    public (FaultMode Mode, TimeSpan Delay, Task Changed) Current
    {
        get
        {
            lock (_gate)
            {
                return (_mode, _delay, _changed.Task);
            }
        }
    }

    public void Set(FaultMode mode, TimeSpan? delay)
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            _mode = mode;
            if (delay is { } d)
            {
                _delay = d;
            }

            fired = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.TrySetResult();
    }
}
