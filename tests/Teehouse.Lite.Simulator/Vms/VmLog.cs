namespace Teehouse.Lite.Simulator.Vms;

/// <summary>The three log files dstack-vmm serves through <c>GET /logs?ch=</c>.</summary>
internal enum LogChannel
{
    Serial,
    Stdout,
    Stderr,
}

/// <summary>
/// In-memory stand-in for a VM's serial/stdout/stderr files, with a change signal so followed
/// streams see lines appended after they attached (tail -f semantics).
/// </summary>
internal sealed class VmLog
{
    private const int Capacity = 5000;

    private readonly Lock _gate = new();
    private readonly List<string>[] _lines = [[], [], []];
    private readonly long[] _dropped = new long[3];
    private TaskCompletionSource _changed = NewSignal();

    public void Append(LogChannel channel, string line)
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            var list = _lines[(int)channel];
            list.Add(line);
            if (list.Count > Capacity)
            {
                var excess = list.Count - Capacity;
                list.RemoveRange(0, excess);
                _dropped[(int)channel] += excess;
            }

            fired = _changed;
            _changed = NewSignal();
        }

        fired.TrySetResult();
    }

    /// <summary>The last <paramref name="count"/> lines plus the position to continue following from.</summary>
    public (List<string> Lines, long Next, Task Changed) Tail(LogChannel channel, int count)
    {
        lock (_gate)
        {
            var list = _lines[(int)channel];
            var take = Math.Min(Math.Max(count, 0), list.Count);
            var next = _dropped[(int)channel] + list.Count;
            return (list.GetRange(list.Count - take, take), next, _changed.Task);
        }
    }

    /// <summary>Lines appended since <paramref name="position"/> (skipping any already rotated out).</summary>
    public (List<string> Lines, long Next, Task Changed) ReadFrom(LogChannel channel, long position)
    {
        lock (_gate)
        {
            var list = _lines[(int)channel];
            var dropped = _dropped[(int)channel];
            var start = (int)Math.Clamp(position - dropped, 0, list.Count);
            return (list.GetRange(start, list.Count - start), dropped + list.Count, _changed.Task);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
