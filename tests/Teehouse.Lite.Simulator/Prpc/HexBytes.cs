namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>Hex codec for protobuf <c>bytes</c> in pRPC JSON: servers emit lowercase without a prefix
/// and accept an optional <c>0x</c> on input.</summary>
internal static class HexBytes
{
    public static byte[] Decode(string text)
    {
        var hex = text.StartsWith("0x", StringComparison.Ordinal) ? text[2..] : text;
        if (hex.Length % 2 != 0)
        {
            throw new PrpcException("Odd number of digits");
        }

        for (var i = 0; i < hex.Length; i++)
        {
            if (!Uri.IsHexDigit(hex[i]))
            {
                throw new PrpcException($"Invalid character {CharDebug(hex[i])} at position {i}");
            }
        }

        return Convert.FromHexString(hex);
    }

    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string CharDebug(char c) => c == '\'' ? "'\\''" : $"'{c}'";
}
