using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Teepods;

public static partial class TeepodValidation
{
    public const string NameRule = "1-64 characters: letters, digits, space, '.', '_', '-'";

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && name.Trim() == name;

    public static string NormalizeEndpoint(string endpoint) => endpoint.Trim().TrimEnd('/');

    public static void Validate(RegisterTeepodRequest r)
    {
        var v = new Validator();
        v.Require(r.Name is not null, "name", "Field required", "missing");
        if (r.Name is not null) v.Require(IsValidName(r.Name), "name", $"Invalid teepod name: {NameRule}");
        v.Require(r.Endpoint is not null, "endpoint", "Field required", "missing");
        if (r.Endpoint is not null)
        {
            var ok = DstackClientFactory.TryValidateEndpoint(NormalizeEndpoint(r.Endpoint), out var why);
            v.Require(ok, "endpoint", HasUserInfo(r.Endpoint)
                ? "Invalid dstack-vmm endpoint: give the user name and password as auth_username and auth_password, not in the URL"
                : $"Invalid dstack-vmm endpoint: {why}");
        }
        v.Require(r.RegionIdentifier is null || r.RegionIdentifier.Length <= 64, "region_identifier", "At most 64 characters");
        v.Require(r.KmsEndpoint is null || IsHttpUrl(r.KmsEndpoint), "kms_endpoint", "Must be an http(s) URL");
        v.Require(r.TproxyEndpoint is null || IsHttpUrl(r.TproxyEndpoint), "tproxy_endpoint", "Must be an http(s) URL");
        v.Require(r.TproxyBaseDomain is null || HostPattern().IsMatch(r.TproxyBaseDomain), "tproxy_base_domain", "Must be a domain name");
        v.Require(r.TproxyPort is null or (>= 1 and <= 65535), "tproxy_port", "Must be a port between 1 and 65535");
        v.Require(r.TproxyTappdPort is null or (>= 1 and <= 65535), "tproxy_tappd_port", "Must be a port between 1 and 65535");
        Credentials(v, r.AuthToken, r.AuthUsername, r.AuthPassword, emptyRemoves: false);
        v.ThrowIfInvalid();
    }

    public static void Validate(UpdateTeepodRequest r)
    {
        var v = new Validator();
        if (r.Name is not null) v.Require(IsValidName(r.Name), "name", $"Invalid teepod name: {NameRule}");
        v.Require(r.RegionIdentifier is null || r.RegionIdentifier.Length <= 64, "region_identifier", "At most 64 characters");
        Credentials(v, r.AuthToken, r.AuthUsername, r.AuthPassword, emptyRemoves: true);
        v.ThrowIfInvalid();
    }

    /// <summary>
    /// A token (Bearer) or a user name and password (HTTP Basic), never both and never half a pair. On update an
    /// empty string means "remove", so there "" is allowed, and a pair is removed as a pair. No message quotes a value.
    /// </summary>
    private static void Credentials(Validator v, string? token, string? username, string? password, bool emptyRemoves)
    {
        var min = emptyRemoves ? 0 : 1;
        v.Require(token is null || (token.Length >= min && token.Length <= 1024 && !token.Any(char.IsControl)), "auth_token",
            $"Must be {min}-1024 characters, without control characters");
        v.Require(username is null || (username.Length >= min && username.Length <= 256 && !username.Any(char.IsControl) && !username.Contains(':')),
            "auth_username", $"Must be {min}-256 characters, without ':' or control characters");
        v.Require(password is null || (password.Length >= min && password.Length <= 1024 && !password.Any(char.IsControl)),
            "auth_password", $"Must be {min}-1024 characters, without control characters");
        v.Require(username is not null || password is null, "auth_username", "Field required when auth_password is given", "missing");
        v.Require(password is not null || username is null, "auth_password", "Field required when auth_username is given", "missing");
        if (emptyRemoves && username is not null && password is not null)
            v.Require((username.Length == 0) == (password.Length == 0), "auth_password",
                "auth_username and auth_password are removed together: give both as empty strings");
        v.Require(string.IsNullOrEmpty(token) || (string.IsNullOrEmpty(username) && string.IsNullOrEmpty(password)), "auth_token",
            "Give either auth_token (sent as Bearer) or auth_username and auth_password (sent as HTTP Basic), not both");
    }

    /// <summary>
    /// The credential columns after an update, or null when the request leaves them alone. A new token replaces a Basic
    /// pair and a new pair a token, since a teepod is called with one scheme.
    /// </summary>
    public static (string? Token, string? Username, string? Password)? CredentialsAfter(UpdateTeepodRequest r, TeepodRecord current)
    {
        if (r.AuthToken is null && r.AuthUsername is null) return null;
        var (token, username, password) = (current.AuthToken, current.AuthUsername, current.AuthPassword);
        if (r.AuthToken is not null) token = NullIfEmpty(r.AuthToken);
        if (r.AuthUsername is not null) (username, password) = (NullIfEmpty(r.AuthUsername), NullIfEmpty(r.AuthPassword));
        if (!string.IsNullOrEmpty(r.AuthToken)) (username, password) = (null, null);
        if (!string.IsNullOrEmpty(r.AuthUsername)) token = null;
        return (token, username, password);
    }

    /// <summary>The credentials a registration asks for: Basic, Bearer, or none.</summary>
    public static VmmCredentials? CredentialsOf(RegisterTeepodRequest r) =>
        VmmCredentials.Of(r.AuthToken, r.AuthUsername, r.AuthPassword);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static bool HasUserInfo(string endpoint) =>
        Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0;

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex(@"^[A-Za-z0-9._ -]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostPattern();
}
