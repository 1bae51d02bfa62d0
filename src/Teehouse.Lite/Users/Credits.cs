using System.Globalization;

namespace Teehouse.Lite.Users;

/// <summary>Credit amounts are decimals kept as canonical invariant text, so no float rounding creeps into balances.</summary>
public static class Credits
{
    public static bool TryParse(string? text, out decimal amount) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount);

    public static string Format(decimal amount) => amount.ToString("0.############", CultureInfo.InvariantCulture);

    public static decimal ParseStored(string text) => TryParse(text, out var amount) ? amount : 0m;
}
