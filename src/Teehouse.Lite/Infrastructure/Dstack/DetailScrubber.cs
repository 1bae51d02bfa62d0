using System.Text.RegularExpressions;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// Takes infrastructure out of a text a user may see (a dstack service's error message, a stored ping failure):
/// URLs become <c>[url]</c>, <c>unix:/…</c> sockets <c>[socket]</c>, IP addresses and host:port pairs
/// <c>[address]</c>, absolute paths <c>[path]</c>, bearer tokens and long opaque strings <c>[secret]</c>.
/// <para>
/// What users work with stays: app ids and instance ids (40 hex), compose hashes and keys (64 hex, optionally 0x),
/// VM ids (UUIDs), names, numbers and times. It is a deny-list, so it is the second line: public details are built
/// from labels first and only the peer's own words go through here.
/// </para>
/// </summary>
public static partial class DetailScrubber
{
    public const string Url = "[url]";
    public const string Socket = "[socket]";
    public const string Address = "[address]";
    public const string Path = "[path]";
    public const string Secret = "[secret]";

    /// <summary>Below this, a run of letters and digits is a word or an id, not a credential.</summary>
    private const int MinSecretLength = 24;

    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        // Order matters: a URL holds a host:port and a path; a credential pair holds a secret of any length.
        var s = UrlPattern().Replace(text, Url);
        s = UnixSocketPattern().Replace(s, Socket);
        s = CredentialPattern().Replace(s, m => m.Groups["key"].Value + Secret);
        s = BracketedIpv6Pattern().Replace(s, Address);
        s = Ipv4Pattern().Replace(s, Address);
        s = HostPortPattern().Replace(s, Address);
        s = Ipv6Pattern().Replace(s, Address);
        s = AbsolutePathPattern().Replace(s, Path);
        s = OpaqueRunPattern().Replace(s, m => IsShareable(m.Value) ? m.Value : Secret);
        // "teepod 'x' (http://…)" and "refused (10.0.0.5:9080)" only add where: without it the aside says nothing.
        return BareAsidePattern().Replace(s, "");
    }

    /// <summary>Ids users already know: 40/64 hex (app id, instance id, compose hash, key), UUIDs, plain words.</summary>
    private static bool IsShareable(string run)
    {
        if (run.Length < MinSecretLength) return true;
        var hex = run.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? run[2..] : run;
        if (hex.Length is 40 or 64 && hex.All(Uri.IsHexDigit)) return true;
        if (Guid.TryParseExact(run, "D", out _)) return true;
        // Long words joined by dashes or underscores (dstack error codes, Rust type paths) have no digits.
        return !run.Any(char.IsAsciiDigit) || !run.Any(char.IsAsciiLetter);
    }

    // scheme://anything-up-to-whitespace-or-quote, not ending in sentence punctuation.
    [GeneratedRegex(@"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s""'<>`]*[^\s""'<>`.,;:!?)\]}]")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"\bunix:/?[^\s""'<>`]*[^\s""'<>`.,;:!?)\]}]", RegexOptions.IgnoreCase)]
    private static partial Regex UnixSocketPattern();

    // "Bearer x", "token=x", "auth_token: x", "password=x": the key stays, the value goes.
    [GeneratedRegex(@"(?<key>\bbearer\s+|\b(?:[a-z_]*token|secret|password|passwd|api[_-]?key)\s*[=:]\s*)[^\s""'<>,;)\]}]+", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialPattern();

    [GeneratedRegex(@"\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::\d{1,5})?")]
    private static partial Regex BracketedIpv6Pattern();

    [GeneratedRegex(@"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.]*\w)")]
    private static partial Regex Ipv4Pattern();

    // host:port where the host has a letter (so times like 04:41:34 stay): localhost:8000, kms.internal:8000.
    [GeneratedRegex(@"(?<![\w.\-:/])(?=[\w.\-]*[a-zA-Z])[a-zA-Z0-9](?:[\w\-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[\w\-]*[a-zA-Z0-9])?)*:\d{1,5}(?!\w|:\d)")]
    private static partial Regex HostPortPattern();

    // Full eight groups, or a compressed form with "::" (::1, fe80::1, 2001:db8::8a2e:370:7334).
    [GeneratedRegex(@"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?)(?![\w:])")]
    private static partial Regex Ipv6Pattern();

    // /var/lib/dstack/vm, /run/vmm.sock, but not and/or, 1/2, HTTP/1.1 or the [url] placeholder.
    [GeneratedRegex(@"(?<![\w.~:/\-\]\[])/[\w.@%+\-]+(?:/[\w.@%+\-]*)*")]
    private static partial Regex AbsolutePathPattern();

    [GeneratedRegex(@"[A-Za-z0-9+/_=\-]{24,}")]
    private static partial Regex OpaqueRunPattern();

    [GeneratedRegex(@"\s*\((?:\[url\]|\[socket\]|\[address\]|\[path\])\)")]
    private static partial Regex BareAsidePattern();
}
