using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Whether a CVM's guest image is a dev image: from its teepod's stored image list when the image is in it, else by
/// dstack's naming (<c>dstack-dev-0.5.5</c>); and its os_image_hash where the list has one (a teepod on this host). A list answer asks once per row, and a teepod's rows share one
/// images_json text, so each distinct text is parsed once and kept (a handful of teepods: a handful of texts).
/// </summary>
public static class DevImages
{
    /// <summary>More distinct texts than a fleet has teepods means they keep changing: start over rather than grow.</summary>
    internal const int MaxTexts = 256;

    // Text → name → image; null for a damaged text (every image is then judged by its name).
    private static readonly ConcurrentDictionary<string, FrozenDictionary<string, StoredImage>?> Parsed = new(StringComparer.Ordinal);

    public static bool IsDev(string imagesJson, string image)
    {
        ArgumentNullException.ThrowIfNull(imagesJson);
        ArgumentNullException.ThrowIfNull(image);
        var known = Known(imagesJson);
        return known is not null && known.TryGetValue(image, out var stored) ? stored.IsDev : ByName(image);
    }

    /// <summary>The digest the pinger read for <paramref name="image"/>, or null (not a local teepod, or not listed).</summary>
    public static string? OsImageHash(string imagesJson, string image) =>
        Known(imagesJson) is { } known && known.TryGetValue(image, out var stored) ? stored.OsImageHash : null;

    public static bool ByName(string image) =>
        image.Contains("-dev-", StringComparison.Ordinal) || image.EndsWith("-dev", StringComparison.Ordinal);

    internal static int CachedTexts => Parsed.Count;

    internal static FrozenDictionary<string, StoredImage>? Known(string imagesJson)
    {
        if (Parsed.TryGetValue(imagesJson, out var known)) return known;
        known = Parse(imagesJson);
        if (Parsed.Count >= MaxTexts) Parsed.Clear();
        Parsed.TryAdd(imagesJson, known);
        return known;
    }

    /// <summary>name → image, the first entry of a name winning (as a search of the list would find it).</summary>
    internal static FrozenDictionary<string, StoredImage>? Parse(string imagesJson)
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
        var byName = new Dictionary<string, StoredImage>(StringComparer.Ordinal);
        foreach (StoredImage? image in images)
        {
            // A null entry (a hand-edited cache) names no image.
            if (image?.Name is { } name) byName.TryAdd(name, image);
        }
        return byName.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
