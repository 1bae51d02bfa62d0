using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Whether a CVM's guest image is a dev image: from its teepod's stored image list when the image is in it, else by
/// dstack's naming (<c>dstack-dev-0.5.5</c>). A list answer asks once per row, and a teepod's rows share one
/// images_json text, so each distinct text is parsed once and kept (a handful of teepods: a handful of texts).
/// </summary>
public static class DevImages
{
    /// <summary>More distinct texts than a fleet has teepods means they keep changing: start over rather than grow.</summary>
    internal const int MaxTexts = 256;

    // Text → name → is_dev; null for a damaged text (every image is then judged by its name).
    private static readonly ConcurrentDictionary<string, FrozenDictionary<string, bool>?> Parsed = new(StringComparer.Ordinal);

    public static bool IsDev(string imagesJson, string image)
    {
        ArgumentNullException.ThrowIfNull(imagesJson);
        ArgumentNullException.ThrowIfNull(image);
        var known = Known(imagesJson);
        return known is not null && known.TryGetValue(image, out var isDev) ? isDev : ByName(image);
    }

    public static bool ByName(string image) =>
        image.Contains("-dev-", StringComparison.Ordinal) || image.EndsWith("-dev", StringComparison.Ordinal);

    internal static int CachedTexts => Parsed.Count;

    internal static FrozenDictionary<string, bool>? Known(string imagesJson)
    {
        if (Parsed.TryGetValue(imagesJson, out var known)) return known;
        known = Parse(imagesJson);
        if (Parsed.Count >= MaxTexts) Parsed.Clear();
        Parsed.TryAdd(imagesJson, known);
        return known;
    }

    /// <summary>name → is_dev, the first entry of a name winning (as a search of the list would find it).</summary>
    internal static FrozenDictionary<string, bool>? Parse(string imagesJson)
    {
        List<StoredImage>? images;
        try
        {
            images = JsonSerializer.Deserialize(imagesJson, TeepodsJson.Default.ListStoredImage);
        }
        catch (JsonException)
        {
            return null; // a damaged cache: fall back to the name
        }
        if (images is null) return null;
        var byName = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (StoredImage? image in images)
        {
            // A null entry (a hand-edited cache) names no image.
            if (image?.Name is { } name) byName.TryAdd(name, image.IsDev);
        }
        return byName.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
