using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Teehouse.Lite.Auth;

/// <summary>
/// API tokens: 32 random bytes, shown once as <c>thl_</c> + base64url, stored only as their SHA-256. A plain hash is
/// enough (no salt/KDF) because the token is a high-entropy random secret, not a password.
/// </summary>
public static class ApiTokens
{
    public const string Scheme = "thl_";
    private const int RandomBytes = 32;
    private const int PrefixLength = 12;

    public static string Generate() => Scheme + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The first characters, so an operator can tell tokens apart in `token list` without the secret.</summary>
    public static string Prefix(string token) => token.Length <= PrefixLength ? token : token[..PrefixLength];

    /// <summary>Cheap shape check before touching the database; anything else is rejected as invalid.</summary>
    public static bool LooksValid(string token) => token.Length is > 8 and < 256 && token.All(c => c > ' ' && c < 127);
}
