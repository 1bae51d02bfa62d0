using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Reads an app-compose.json text leniently, for display. It never throws: fields of the wrong type read as null, unknown
/// fields are skipped, and a text that is not valid JSON keeps the fields read before the error plus the raw text.
/// One forward pass with <see cref="Utf8JsonReader"/>, so a large compose costs one UTF-8 copy and the string values.
/// </summary>
public static class AppComposeParser
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        // dstack (serde_json) accepts neither comments nor trailing commas; its nesting limit is 128.
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 256,
    };

    /// <summary>Null for a null or empty text; otherwise the fields that could be read (see the class remarks).</summary>
    public static AppComposeInfo? Parse(string? composeText)
    {
        if (string.IsNullOrEmpty(composeText)) return null;

        var fields = new Fields();
        bool valid;
        try
        {
            valid = Read(Encoding.UTF8.GetBytes(composeText), fields);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Truncated or otherwise broken JSON (or an escape that is not valid UTF-16): keep what was read so far.
            valid = false;
        }
        return fields.ToInfo(valid ? null : composeText);
    }

    /// <summary>dstack's compose hash: lowercase hex SHA-256 of the exact UTF-8 bytes, no canonicalization.</summary>
    public static string ComposeHash(string composeText)
    {
        ArgumentNullException.ThrowIfNull(composeText);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(composeText)));
    }

    /// <summary>True when the whole text is one JSON object; false when it is valid JSON of another kind.</summary>
    private static bool Read(ReadOnlySpan<byte> utf8, Fields fields)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        if (!reader.Read()) return false;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            while (reader.Read()) { } // validate the rest, so trailing garbage still counts as broken
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            if (!reader.Read()) break;
            switch (name)
            {
                case "allowed_envs": fields.AllowedEnvs = ReadStrings(ref reader); break;
                case "bash_script": fields.BashScript = ReadString(ref reader); break;
                case "docker_compose_file": fields.DockerComposeFile = ReadString(ref reader); break;
                case "kms_enabled": fields.KmsEnabled = ReadBool(ref reader); break;
                case "local_key_provider_enabled": fields.LocalKeyProviderEnabled = ReadBool(ref reader); break;
                case "manifest_version": fields.ManifestVersion = ReadVersion(ref reader); break;
                case "name": fields.Name = ReadString(ref reader); break;
                case "no_instance_id": fields.NoInstanceId = ReadBool(ref reader); break;
                case "pre_launch_script": fields.PreLaunchScript = ReadString(ref reader); break;
                case "public_logs": fields.PublicLogs = ReadBool(ref reader); break;
                case "public_sysinfo": fields.PublicSysinfo = ReadBool(ref reader); break;
                case "runner": fields.Runner = ReadString(ref reader); break;
                case "gateway_enabled": fields.GatewayEnabled = ReadBool(ref reader); break;
                case "features": fields.Features = ReadStrings(ref reader); break;
                case "salt": fields.Salt = ReadString(ref reader); break;
                case "tproxy_enabled": fields.TproxyEnabled = ReadBool(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        // The object's end was reached; anything after it makes the text invalid (the reader throws on it).
        while (reader.Read()) { }
        return true;
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }

    private static bool? ReadBool(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            default: reader.Skip(); return null;
        }
    }

    /// <summary>A number (<c>2</c>) or a numeric string (<c>"3"</c>); anything else is null.</summary>
    private static int? ReadVersion(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetInt32(out var n) ? n : null;
            case JsonTokenType.String:
                return int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>The string elements of an array (others are skipped); null when the value is not an array.</summary>
    private static List<string>? ReadStrings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }
        var items = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String) items.Add(reader.GetString()!);
            else reader.Skip();
        }
        return items;
    }

    /// <summary>Fields are only assigned once their whole value was read, so a truncated value leaves its field null.</summary>
    private sealed class Fields
    {
        public List<string>? AllowedEnvs;
        public string? BashScript;
        public string? DockerComposeFile;
        public bool? KmsEnabled;
        public bool? LocalKeyProviderEnabled;
        public int? ManifestVersion;
        public string? Name;
        public bool? NoInstanceId;
        public string? PreLaunchScript;
        public bool? PublicLogs;
        public bool? PublicSysinfo;
        public string? Runner;
        public bool? GatewayEnabled;
        public List<string>? Features;
        public string? Salt;
        public bool? TproxyEnabled;

        public AppComposeInfo ToInfo(string? raw)
        {
            // gateway_enabled has the legacy alias tproxy_enabled; either true means true.
            bool? gateway = GatewayEnabled is null && TproxyEnabled is null
                ? null
                : GatewayEnabled == true || TproxyEnabled == true;
            return new AppComposeInfo
            {
                AllowedEnvs = AllowedEnvs,
                BashScript = BashScript,
                DockerComposeFile = DockerComposeFile,
                KmsEnabled = KmsEnabled,
                LocalKeyProviderEnabled = LocalKeyProviderEnabled,
                ManifestVersion = ManifestVersion,
                Name = Name,
                NoInstanceId = NoInstanceId,
                PreLaunchScript = PreLaunchScript,
                PublicLogs = PublicLogs,
                PublicSysinfo = PublicSysinfo,
                Runner = Runner,
                GatewayEnabled = gateway,
                Features = Features,
                Salt = Salt,
                TproxyEnabled = gateway,
                Raw = raw,
            };
        }
    }
}
