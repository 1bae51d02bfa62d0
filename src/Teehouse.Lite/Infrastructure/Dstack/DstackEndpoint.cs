using System.Text;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// A parsed endpoint: <c>http(s)://host[:port][/prefix]</c> or <c>unix:/absolute/path.sock</c>.
/// <see cref="BaseUrl"/> is what <c>/prpc/&lt;Method&gt;</c> is appended to (no trailing slash).
/// </summary>
internal sealed record DstackEndpoint(string Display, string BaseUrl, string? UnixSocketPath)
{
    // sun_path is 108 bytes including the terminating NUL.
    private const int MaxUnixPathBytes = 107;
    private const int MaxLength = 2048;

    public static bool TryParse(string? endpoint, out DstackEndpoint parsed, out string error)
    {
        parsed = null!;
        var text = endpoint?.Trim() ?? "";
        if (text.Length == 0)
        {
            error = "the endpoint is empty";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"the endpoint is longer than {MaxLength} characters";
            return false;
        }

        if (text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            error = "the endpoint must not contain spaces or control characters";
            return false;
        }

        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal) || !path.StartsWith('/'))
            {
                error = "a unix socket endpoint needs an absolute path, like unix:/run/dstack/vmm.sock";
                return false;
            }

            if (Encoding.UTF8.GetByteCount(path) > MaxUnixPathBytes)
            {
                error = $"the unix socket path is longer than {MaxUnixPathBytes} bytes";
                return false;
            }

            if (path.EndsWith('/'))
            {
                error = "the unix socket path names a directory, not a socket";
                return false;
            }

            parsed = new DstackEndpoint(text, "http://localhost", path);
            error = "";
            return true;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = "the endpoint must be an http(s) URL like http://host:9080, or unix:/path/to/vmm.sock";
            return false;
        }

        if (uri.Host.Length == 0)
        {
            error = "the endpoint URL has no host";
            return false;
        }

        if (uri.UserInfo.Length > 0)
        {
            error = "the endpoint URL must not contain credentials";
            return false;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || text.Contains('?') || text.Contains('#'))
        {
            error = "the endpoint URL must not have a query or a fragment";
            return false;
        }

        parsed = new DstackEndpoint(text, uri.GetLeftPart(UriPartial.Path).TrimEnd('/'), null);
        error = "";
        return true;
    }

    public static DstackEndpoint Parse(string endpoint, string paramName) =>
        TryParse(endpoint, out var parsed, out var error)
            ? parsed
            : throw new ArgumentException($"invalid endpoint: {error}", paramName);
}
