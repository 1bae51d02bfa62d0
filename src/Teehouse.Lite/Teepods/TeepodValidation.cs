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
            v.Require(ok, "endpoint", $"Invalid dstack-vmm endpoint: {why}");
        }
        v.Require(r.RegionIdentifier is null || r.RegionIdentifier.Length <= 64, "region_identifier", "At most 64 characters");
        v.Require(r.KmsEndpoint is null || IsHttpUrl(r.KmsEndpoint), "kms_endpoint", "Must be an http(s) URL");
        v.Require(r.TproxyEndpoint is null || IsHttpUrl(r.TproxyEndpoint), "tproxy_endpoint", "Must be an http(s) URL");
        v.Require(r.TproxyBaseDomain is null || HostPattern().IsMatch(r.TproxyBaseDomain), "tproxy_base_domain", "Must be a domain name");
        v.Require(r.TproxyPort is null or (>= 1 and <= 65535), "tproxy_port", "Must be a port between 1 and 65535");
        v.Require(r.TproxyTappdPort is null or (>= 1 and <= 65535), "tproxy_tappd_port", "Must be a port between 1 and 65535");
        v.Require(r.AuthToken is null || r.AuthToken.Length is > 0 and <= 1024, "auth_token", "Must be 1-1024 characters");
        v.ThrowIfInvalid();
    }

    public static void Validate(UpdateTeepodRequest r)
    {
        var v = new Validator();
        if (r.Name is not null) v.Require(IsValidName(r.Name), "name", $"Invalid teepod name: {NameRule}");
        v.Require(r.RegionIdentifier is null || r.RegionIdentifier.Length <= 64, "region_identifier", "At most 64 characters");
        v.ThrowIfInvalid();
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex(@"^[A-Za-z0-9._ -]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostPattern();
}
