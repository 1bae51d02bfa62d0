using System.Text.RegularExpressions;

namespace Teehouse.Lite.Shared;

public static partial class AppIds
{
    /// <summary>dstack's form of an app id: 20 bytes as 40 lowercase hex characters, no <c>0x</c>.</summary>
    public static bool TryNormalize(string? value, out string appId)
    {
        appId = "";
        if (value is null) return false;
        var text = value.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        if (!Hex40().IsMatch(text)) return false;
        appId = text.ToLowerInvariant();
        return true;
    }

    [GeneratedRegex("^[0-9a-fA-F]{40}$")]
    private static partial Regex Hex40();
}
