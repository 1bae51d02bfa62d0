namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>pRPC <c>bytes</c> fields travel as hex; servers emit lowercase without a prefix, older ones with <c>0x</c>.</summary>
internal static class Hex
{
    /// <summary>Lowercase hex without the optional <c>0x</c>; null becomes "".</summary>
    public static string Normalize(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        return hex.ToLowerInvariant();
    }
}
