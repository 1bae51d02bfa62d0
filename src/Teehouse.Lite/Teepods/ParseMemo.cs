namespace Teehouse.Lite.Teepods;

/// <summary>
/// What a stored text (a CA certificate's PEM, an <c>images_json</c>) parses to, carried from one read-model build to
/// the next: a rebuild after a ping, which changes only usage and times, parses nothing. Only the entries the new build
/// used are carried on, so texts no teepod stores any more are dropped with the build that last used them.
/// Used by one build at a time (the read models rebuild under a lock), so it is not thread-safe.
/// </summary>
public sealed class ParseMemo<TValue>(IReadOnlyDictionary<string, TValue>? previous)
{
    private readonly Dictionary<string, TValue> _used = new(StringComparer.Ordinal);

    /// <summary>The parses this build kept, for the next build to start from.</summary>
    public IReadOnlyDictionary<string, TValue> Used => _used;

    public TValue Get(string text, Func<string, TValue> parse)
    {
        if (_used.TryGetValue(text, out var value)) return value;
        if (previous is null || !previous.TryGetValue(text, out value)) value = parse(text);
        _used[text] = value;
        return value;
    }
}
