using System.Collections.Concurrent;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// <see cref="AppComposeParser.Parse"/> kept by compose text: a host's listing shows every VM's compose parsed, and
/// between two listings nearly none of them changed, so each text is parsed once and looked up after that (a hash of
/// the text is far cheaper than reading its JSON). The parse is immutable and only ever serialised, so answers share it.
/// Bounded by the characters kept; past that it starts over.
/// </summary>
public static class ParsedComposes
{
    /// <summary>About 2,000 composes of 8 KB (a few thousand VMs' worth), some tens of MB at most.</summary>
    internal const long MaxChars = 16L << 20;

    private static readonly ConcurrentDictionary<string, AppComposeInfo?> Parsed = new(StringComparer.Ordinal);
    private static long _chars;

    public static AppComposeInfo? Parse(string? composeText)
    {
        if (string.IsNullOrEmpty(composeText)) return null;
        if (Parsed.TryGetValue(composeText, out var known)) return known;
        var parsed = AppComposeParser.Parse(composeText);
        if (Interlocked.Add(ref _chars, composeText.Length) > MaxChars)
        {
            Parsed.Clear();
            Interlocked.Exchange(ref _chars, composeText.Length);
        }
        Parsed.TryAdd(composeText, parsed);
        return parsed;
    }

    internal static int Count => Parsed.Count;
}
