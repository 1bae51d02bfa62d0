using System.Globalization;

namespace Teehouse.Lite.Teepods;

public static class ImageVersion
{
    /// <summary>
    /// "0.5.5" → [0, 5, 5]. The official SDK requires 3 or 4 numbers, so a suffix ("0.5.5-rc1") is dropped, a short
    /// version is padded ("0.5" → [0, 5, 0]), and anything without a leading number is null (the image is not offered).
    /// </summary>
    public static int[]? Parse(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return null;
        var text = version.Trim().TrimStart('v', 'V');
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.')) end++;
        var parts = text[..end].Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return null;
        var numbers = new List<int>();
        foreach (var part in parts.Take(4))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
            numbers.Add(n);
        }
        while (numbers.Count < 3) numbers.Add(0);
        return numbers.ToArray();
    }
}
