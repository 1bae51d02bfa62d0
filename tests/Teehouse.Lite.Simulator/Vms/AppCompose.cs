using System.Text;
using System.Text.Json;
using Teehouse.Lite.Simulator.Prpc;

namespace Teehouse.Lite.Simulator.Vms;

/// <summary>The app-compose.json facts the VMM acts on.</summary>
internal sealed record AppComposeInfo(bool GatewayEnabled, bool KmsEnabled, string? KeyProvider);

/// <summary>
/// Validates app-compose.json the way dstack's <c>AppCompose</c> serde type does (required
/// manifest_version/name/runner, typed optional fields, unknown fields ignored) and reports failures
/// with serde_json's wording. Because AppCompose has a flattened field, serde buffers the object and
/// every field error carries the position of the object's end.
/// </summary>
internal static class AppCompose
{
    private static readonly string[] KeyProviders = ["none", "kms", "local", "tpm"];

    /// <summary>Strict parse; throws <see cref="PrpcException"/> carrying the bare serde message.</summary>
    public static AppComposeInfo Parse(string composeFile)
    {
        var bytes = Encoding.UTF8.GetBytes(composeFile);
        var root = SerdeErrors.ParseStrict(bytes);

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PrpcException(SerdeErrors.At(SerdeErrors.InvalidType(root, "struct AppCompose"), bytes));
        }

        try
        {
            return Validate(root);
        }
        catch (PrpcException e)
        {
            throw new PrpcException(SerdeErrors.At(e.Message, bytes));
        }
    }

    /// <summary>Best-effort read for VMs whose compose may be broken: never throws.</summary>
    public static AppComposeInfo ReadLoose(string composeFile)
    {
        try
        {
            using var doc = JsonDocument.Parse(composeFile);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new AppComposeInfo(false, false, null);
            }

            var root = doc.RootElement;
            return new AppComposeInfo(
                IsTrue(root, "gateway_enabled") || IsTrue(root, "tproxy_enabled"),
                IsTrue(root, "kms_enabled"),
                root.TryGetProperty("key_provider", out var kp) && kp.ValueKind == JsonValueKind.String ? kp.GetString() : null);
        }
        catch (JsonException)
        {
            return new AppComposeInfo(false, false, null);
        }
    }

    /// <summary>
    /// CreateVm's verity-volume extraction: ignored unless the compose is JSON with a non-empty
    /// <c>verity_volumes</c>, which needs a <c>cvm.volumes_dir</c> the simulated host does not have.
    /// </summary>
    public static void CheckVerityVolumes(string composeFile)
    {
        try
        {
            using var doc = JsonDocument.Parse(composeFile);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("verity_volumes", out var volumes)
                && volumes.ValueKind == JsonValueKind.Array
                && volumes.GetArrayLength() > 0)
            {
                throw new PrpcException("volumes requested but cvm.volumes_dir is not configured");
            }
        }
        catch (JsonException)
        {
            // dstack skips volume extraction for non-JSON composes; the key-provider check reports them.
        }
    }

    /// <summary>
    /// The swtpm decision's <c>key_provider_from_compose</c>: the compose must be JSON
    /// ("invalid app compose JSON: ...") and a present key_provider must be a known variant.
    /// </summary>
    public static void CheckKeyProvider(string composeFile)
    {
        var root = SerdeErrors.ParseStrict(Encoding.UTF8.GetBytes(composeFile), "invalid app compose JSON");

        if (root.ValueKind == JsonValueKind.Object
            && root.TryGetProperty("key_provider", out var provider)
            && provider.ValueKind != JsonValueKind.Null)
        {
            try
            {
                CheckKeyProviderValue(provider);
            }
            catch (PrpcException e)
            {
                throw e.WithContext("invalid key_provider");
            }
        }
    }

    private static AppComposeInfo Validate(JsonElement root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool gateway = false, tproxy = false, kms = false;
        string? keyProvider = null;

        foreach (var prop in root.EnumerateObject())
        {
            if (!seen.Add(prop.Name))
            {
                throw new PrpcException($"duplicate field `{prop.Name}`");
            }

            var v = prop.Value;
            switch (prop.Name)
            {
                case "manifest_version":
                    CheckManifestVersion(v);
                    break;
                case "name":
                case "runner":
                    RequireString(v);
                    break;
                case "features":
                case "allowed_envs":
                    RequireStringArray(v);
                    break;
                case "docker_compose_file":
                case "storage_fs":
                case "snapshotter":
                    if (v.ValueKind != JsonValueKind.Null)
                    {
                        RequireString(v);
                    }

                    break;
                case "init_script":
                    CheckInitScript(v);
                    break;
                case "public_logs":
                case "public_sysinfo":
                case "public_tcbinfo":
                case "local_key_provider_enabled":
                case "no_instance_id":
                case "secure_time":
                    RequireBool(v);
                    break;
                case "kms_enabled":
                    kms = RequireBool(v);
                    break;
                case "gateway_enabled":
                    gateway = RequireBool(v);
                    break;
                case "tproxy_enabled":
                    tproxy = RequireBool(v);
                    break;
                case "key_provider":
                    if (v.ValueKind != JsonValueKind.Null)
                    {
                        keyProvider = CheckKeyProviderValue(v);
                    }

                    break;
                case "key_provider_id":
                    HexBytes.Decode(RequireString(v));
                    break;
                case "swap_size":
                    if (v.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
                    {
                        throw new PrpcException(SerdeErrors.InvalidType(v, "a size in bytes or a string like \"1G\""));
                    }

                    break;
                case "event_log_version":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var elv) || elv is not (1 or 2))
                    {
                        throw new PrpcException(v.ValueKind == JsonValueKind.Number
                            ? $"unknown event log version: {v.GetRawText()}"
                            : SerdeErrors.InvalidType(v, "u8"));
                    }

                    break;
                case "port_policy":
                    if (v.ValueKind != JsonValueKind.Object)
                    {
                        throw new PrpcException(SerdeErrors.InvalidType(v, "struct PortPolicy"));
                    }

                    break;
                case "requirements":
                    if (v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                    {
                        throw new PrpcException(SerdeErrors.InvalidType(v, "struct Requirements"));
                    }

                    break;
                case "verity_volumes":
                    if (v.ValueKind != JsonValueKind.Array)
                    {
                        throw new PrpcException(SerdeErrors.InvalidType(v, "a sequence"));
                    }

                    break;
            }
        }

        foreach (var required in (string[])["manifest_version", "name", "runner"])
        {
            if (!seen.Contains(required))
            {
                throw new PrpcException($"missing field `{required}`");
            }
        }

        return new AppComposeInfo(gateway || tproxy, kms, keyProvider);
    }

    private static void CheckManifestVersion(JsonElement v)
    {
        const string expected = "a string manifest version, or legacy numeric 1/2";
        switch (v.ValueKind)
        {
            case JsonValueKind.Number when v.TryGetInt64(out var n):
                if (n < 0)
                {
                    throw new PrpcException("manifest_version must be a positive integer");
                }

                if (n is not (1 or 2))
                {
                    throw new PrpcException(
                        "numeric manifest_version is only supported for legacy versions 1 and 2; use a string for newer versions");
                }

                return;
            case JsonValueKind.String:
                var s = v.GetString()!.Trim();
                if (s.Length == 0)
                {
                    throw new PrpcException("manifest_version must not be empty");
                }

                if (!uint.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                {
                    throw new PrpcException($"manifest_version must be a positive integer string, got {SerdeErrors.Quote(s)}");
                }

                if (parsed == 0)
                {
                    throw new PrpcException("manifest_version must be greater than 0");
                }

                if (parsed.ToString(System.Globalization.CultureInfo.InvariantCulture) != s)
                {
                    throw new PrpcException($"manifest_version must be a canonical integer string, got {SerdeErrors.Quote(s)}");
                }

                return;
            default:
                throw new PrpcException(SerdeErrors.InvalidType(v, expected));
        }
    }

    private static void CheckInitScript(JsonElement v)
    {
        var ok = v.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.String => true,
            JsonValueKind.Array => v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String),
            _ => false,
        };
        if (!ok)
        {
            throw new PrpcException("data did not match any variant of untagged enum InitScripts");
        }
    }

    private static string CheckKeyProviderValue(JsonElement v)
    {
        var s = v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new PrpcException(SerdeErrors.InvalidType(v, "enum KeyProviderKind"));
        if (!KeyProviders.Contains(s))
        {
            throw new PrpcException($"unknown variant `{s}`, expected one of `none`, `kms`, `local`, `tpm`");
        }

        return s;
    }

    private static string RequireString(JsonElement v) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new PrpcException(SerdeErrors.InvalidType(v, "a string"));

    private static bool RequireBool(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new PrpcException(SerdeErrors.InvalidType(v, "a boolean")),
    };

    private static void RequireStringArray(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw new PrpcException(SerdeErrors.InvalidType(v, "a sequence"));
        }

        foreach (var item in v.EnumerateArray())
        {
            RequireString(item);
        }
    }

    private static bool IsTrue(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
