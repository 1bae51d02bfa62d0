using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Deploy;

/// <summary>
/// Turns the compose_file object of a deploy request into the complete app-compose dstack boots from: the client's
/// fields as given (unknown ones kept), the legacy tproxy_enabled folded into gateway_enabled, and dstack's required
/// fields filled in with the defaults vmm-cli uses.
/// </summary>
public static partial class AppComposeBuilder
{
    public const int MaxPayloadBytes = 200 * 1024;

    public static JsonObject Build(JsonObject requested, string fallbackName)
    {
        var compose = (JsonObject)requested.DeepClone();
        var gateway = IsTrue(compose["gateway_enabled"]) || IsTrue(compose["tproxy_enabled"]);
        compose.Remove("tproxy_enabled");
        compose["gateway_enabled"] = gateway;

        if (compose["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String || name.GetValue<string>().Length == 0)
            compose["name"] = fallbackName;
        Default(compose, "manifest_version", 2);
        Default(compose, "runner", "docker-compose");
        Default(compose, "kms_enabled", false);
        Default(compose, "public_logs", false);
        Default(compose, "public_sysinfo", false);
        Default(compose, "local_key_provider_enabled", false);
        Default(compose, "no_instance_id", false);
        Default(compose, "secure_time", false);
        if (!compose.ContainsKey("allowed_envs")) compose["allowed_envs"] = new JsonArray();
        return compose;
    }

    /// <summary>
    /// What a deploy that does not say gets, as on the hosted service: the KMS (a disk key that survives restarts, and
    /// env encryption) and the gateway (a URL) whenever the chosen teepod has them. The official CLI never sends
    /// kms_enabled or gateway_enabled; with them off it could not encrypt its env at all.
    /// </summary>
    public static JsonObject WithHostDefaults(JsonObject requested, bool hasKms, bool hasGateway)
    {
        var compose = (JsonObject)requested.DeepClone();
        if (compose["kms_enabled"] is null) compose["kms_enabled"] = hasKms;
        if (compose["gateway_enabled"] is null && compose["tproxy_enabled"] is null) compose["gateway_enabled"] = hasGateway;
        return compose;
    }

    /// <summary>
    /// A new app's compose gets a random salt (unless the client chose one), as dstack's own tools do: the app id
    /// derives from the compose hash, and two users deploying the same compose must not share an identity, and with it
    /// the keys the KMS derives for it.
    /// </summary>
    public static JsonObject WithSalt(JsonObject compose)
    {
        if (compose["salt"] is JsonValue salt && salt.GetValueKind() == JsonValueKind.String && salt.GetValue<string>().Length > 0)
            return compose;
        compose["salt"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        return compose;
    }

    /// <summary>Problems with a requested compose_file, reported against <c>body.compose_file.*</c>.</summary>
    public static void Validate(JsonObject compose, Validator v)
    {
        var runner = StringOf(compose["runner"]) ?? "docker-compose";
        v.Require(runner is "docker-compose" or "bash", "compose_file.runner", "runner must be 'docker-compose' or 'bash'");
        var dockerCompose = StringOf(compose["docker_compose_file"]);
        if (runner == "docker-compose")
            v.Require(!string.IsNullOrWhiteSpace(dockerCompose), "compose_file.docker_compose_file", "Field required", "missing");
        var script = StringOf(compose["pre_launch_script"]);
        var size = Encoding.UTF8.GetByteCount(dockerCompose ?? "") + Encoding.UTF8.GetByteCount(script ?? "");
        v.Require(size <= MaxPayloadBytes, "compose_file.docker_compose_file",
            $"Combined size of docker_compose_file and pre_launch_script must not exceed {MaxPayloadBytes / 1024}KB");
        foreach (var key in new[] { "kms_enabled", "gateway_enabled", "tproxy_enabled", "public_logs", "public_sysinfo" })
        {
            if (compose[key] is { } value)
                v.Require(value.GetValueKind() is JsonValueKind.True or JsonValueKind.False, $"compose_file.{key}", "Input should be a valid boolean", "bool_type");
        }
        if (compose["allowed_envs"] is { } envs)
        {
            var ok = envs is JsonArray list && list.All(e => StringOf(e) is { } key && EnvKey().IsMatch(key));
            v.Require(ok, "compose_file.allowed_envs", "allowed_envs must be a list of environment variable names");
        }
        if (compose["storage_fs"] is { } fs)
            v.Require(StringOf(fs) is "ext4" or "zfs", "compose_file.storage_fs", "storage_fs must be 'ext4' or 'zfs'");
    }

    private static void Default(JsonObject compose, string key, JsonNode value)
    {
        if (!compose.ContainsKey(key) || compose[key] is null) compose[key] = value;
    }

    private static bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvKey();
}
