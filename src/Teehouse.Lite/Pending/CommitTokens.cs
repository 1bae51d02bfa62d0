using System.Security.Cryptography;
using System.Text;

namespace Teehouse.Lite.Pending;

/// <summary>Single-use commit tokens of prepare-only requests; only their SHA-256 is stored.</summary>
public static class CommitTokens
{
    /// <summary>32 random bytes as hex, prefixed so a token is recognisable in a shell or a bug report.</summary>
    public static string New() => "thct_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token.Trim())));
}
