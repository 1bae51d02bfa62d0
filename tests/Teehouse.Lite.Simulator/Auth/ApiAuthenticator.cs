using System.Security.Cryptography;
using System.Text;

namespace Teehouse.Lite.Simulator.Auth;

/// <summary>
/// dstack's <c>[auth]</c> check (crates/api-auth) as configured by dstack-vmm: Bearer tokens, the
/// <c>X-Admin-Token</c> header, HTTP Basic with the token as password (or as user with an empty
/// password), and <c>?token=</c> on GET. Failures are 401 with an empty body and a Basic challenge.
/// </summary>
internal sealed class ApiAuthenticator
{
    private const string Challenge = "Basic realm=\"dstack-vmm API\"";
    private readonly bool _enabled;
    private readonly List<byte[]> _tokenHashes;

    public ApiAuthenticator(bool enabled, IEnumerable<string> tokens)
    {
        _enabled = enabled;
        _tokenHashes = tokens.Where(t => t.Length > 0).Select(Hash).ToList();
    }

    public bool IsAuthorized(HttpRequest request)
    {
        if (!_enabled)
        {
            return true;
        }

        if (request.Headers.TryGetValue("X-Admin-Token", out var adminToken) && VerifyToken(adminToken.ToString()))
        {
            return true;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            // A present Bearer/Basic credential is decisive: it is not retried against ?token=.
            if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                return VerifyToken(authorization["Bearer ".Length..].Trim());
            }

            if (authorization.StartsWith("Basic ", StringComparison.Ordinal)
                && DecodeBasic(authorization["Basic ".Length..].Trim()) is var (user, password))
            {
                return VerifyToken(password) || (password.Length == 0 && VerifyToken(user));
            }
        }

        return HttpMethods.IsGet(request.Method)
            && request.Query.TryGetValue("token", out var tokens)
            && tokens.Any(t => t is not null && VerifyToken(t));
    }

    public static Task RejectAsync(HttpContext context)
    {
        context.Response.StatusCode = 401;
        context.Response.Headers.WWWAuthenticate = Challenge;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private bool VerifyToken(string token)
    {
        var candidate = Hash(token);
        var matched = false;
        foreach (var expected in _tokenHashes)
        {
            matched |= CryptographicOperations.FixedTimeEquals(candidate, expected);
        }

        return matched;
    }

    private static (string User, string Password)? DecodeBasic(string encoded)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (text, "") : (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
