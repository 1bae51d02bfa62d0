using System.Net.Http.Headers;
using System.Text;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// What we present to one dstack-vmm: its <c>[auth]</c> token as <c>Bearer</c>, or a user name and password as HTTP
/// <c>Basic</c> for the reverse proxy in front of a released vmm (what the official vmm-cli sends).
/// <para>A class rather than a record, and <see cref="ToString"/> overridden, so that no log line or exception that
/// happens to format it can print the secret.</para>
/// </summary>
public sealed class VmmCredentials
{
    public const string BearerScheme = "Bearer";
    public const string BasicScheme = "Basic";

    private readonly string _parameter;

    private VmmCredentials(string scheme, string parameter)
    {
        Scheme = scheme;
        _parameter = parameter;
    }

    /// <summary><see cref="BearerScheme"/> or <see cref="BasicScheme"/>.</summary>
    public string Scheme { get; }

    /// <summary>Null for no token: the vmm is called without credentials.</summary>
    /// <exception cref="ArgumentException">The token has control characters (which could split the header).</exception>
    public static VmmCredentials? Bearer(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        if (token.Any(char.IsControl))
            throw new ArgumentException("the token must not contain control characters", nameof(token));
        return new VmmCredentials(BearerScheme, token);
    }

    /// <summary>RFC 7617 with UTF-8, as vmm-cli builds it: <c>base64(user ":" password)</c>.</summary>
    /// <exception cref="ArgumentException">A colon in the user name (the password would start early), or control characters.</exception>
    public static VmmCredentials Basic(string username, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        if (username.Contains(':'))
            throw new ArgumentException("the user name must not contain ':'", nameof(username));
        if (username.Any(char.IsControl) || password.Any(char.IsControl))
            throw new ArgumentException("the user name and password must not contain control characters", nameof(password));
        return new VmmCredentials(BasicScheme, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
    }

    /// <summary>Basic when a user name is stored, else the token (if any): a teepod stores at most one of them.</summary>
    public static VmmCredentials? Of(string? authToken, string? username, string? password) =>
        string.IsNullOrEmpty(username) ? Bearer(authToken) : Basic(username, password ?? "");

    internal AuthenticationHeaderValue Header() => new(Scheme, _parameter);

    /// <summary>What makes two credentials the same (for sharing a call); never logged or shown.</summary>
    internal string Identity => $"{Scheme} {_parameter}";

    public override string ToString() => $"{Scheme} credentials";
}
