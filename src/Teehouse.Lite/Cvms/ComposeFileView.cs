using System.Buffers;
using System.Text.Json;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// <c>GET /cvms/{id}/compose_file</c>: the VM's app-compose.json as the SDK's <c>LooseAppComposeSchema</c> accepts it.
/// Every key is kept as dstack stored it (the schema passes unknown keys through), with two repairs: a missing or
/// non-string <c>docker_compose_file</c> (a bash-runner app has none) becomes <c>""</c>, since the schema requires the
/// string; and null values of keys the schema types as optional-but-not-nullable are left out, since zod rejects a null
/// there while dstack's own serializer writes absent options as null.
/// </summary>
public static class ComposeFileView
{
    private static readonly HashSet<string> DropWhenNull = new(StringComparer.Ordinal)
    {
        "allowed_envs", "features", "name", "manifest_version", "kms_enabled", "public_logs", "public_sysinfo",
        "tproxy_enabled", "storage_fs", "pre_launch_script", "env_pubkey",
    };

    /// <summary>The JSON to answer, or null when the text is not a JSON object (the caller answers 409).</summary>
    public static byte[]? TryRender(string? composeText)
    {
        if (string.IsNullOrEmpty(composeText)) return null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(composeText);
        }
        catch (JsonException)
        {
            return null;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                var wroteCompose = false;
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (property.NameEquals("docker_compose_file"))
                    {
                        if (wroteCompose) continue; // a duplicate key: the first one stands
                        writer.WriteString("docker_compose_file",
                            property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : "");
                        wroteCompose = true;
                        continue;
                    }
                    if (property.Value.ValueKind == JsonValueKind.Null && DropWhenNull.Contains(property.Name)) continue;
                    property.WriteTo(writer);
                }
                if (!wroteCompose) writer.WriteString("docker_compose_file", "");
                writer.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }
    }
}
