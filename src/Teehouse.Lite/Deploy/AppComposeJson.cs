using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Teehouse.Lite.Deploy;

/// <summary>
/// The exact bytes of an app-compose.json as the official SDK writes and hashes them (@phala/cloud
/// <c>dumpAppCompose</c>): keys sorted by UTF-16 code unit at every level, <c>JSON.stringify(obj, null, 4)</c>, then every
/// <c>": "</c> in the text replaced by <c>":"</c> (inside string values too; that is the SDK's own quirk). dstack hashes
/// the file's bytes as they are, so the compose_hash we report, the one the SDK recomputes from GET compose_file, and
/// the one measured in the guest only agree if these bytes match the SDK's to the last byte.
/// </summary>
public static class AppComposeJson
{
    /// <summary>The SDK's <c>preprocessAppCompose</c>: drop the script the runner does not use and an empty pre_launch_script.</summary>
    public static JsonObject Preprocess(JsonObject compose)
    {
        var copy = (JsonObject)compose.DeepClone();
        var runner = (copy["runner"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? copy["runner"]!.GetValue<string>() : null;
        if (runner == "bash") copy.Remove("docker_compose_file");
        else if (runner == "docker-compose") copy.Remove("bash_script");
        if (copy.TryGetPropertyValue("pre_launch_script", out var script) && !IsTruthy(script)) copy.Remove("pre_launch_script");
        return copy;
    }

    public static string Dump(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node, 0);
        return text.Replace("\": ", "\":").ToString();
    }

    /// <summary>compose_hash: SHA-256 of the dumped text's UTF-8 bytes, lowercase hex.</summary>
    public static string Hash(string dumped) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dumped)));

    private static void Write(StringBuilder text, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                return;
            case JsonObject obj:
                if (obj.Count == 0) { text.Append("{}"); return; }
                text.Append('{');
                var first = true;
                foreach (var key in obj.Select(p => p.Key).Order(StringComparer.Ordinal))
                {
                    text.Append(first ? "\n" : ",\n");
                    first = false;
                    Indent(text, depth + 1);
                    WriteString(text, key);
                    text.Append(": ");
                    Write(text, obj[key], depth + 1);
                }
                text.Append('\n');
                Indent(text, depth);
                text.Append('}');
                return;
            case JsonArray array:
                if (array.Count == 0) { text.Append("[]"); return; }
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "\n" : ",\n");
                    Indent(text, depth + 1);
                    Write(text, array[i], depth + 1);
                }
                text.Append('\n');
                Indent(text, depth);
                text.Append(']');
                return;
            case JsonValue value:
                WriteValue(text, value);
                return;
        }
    }

    private static void WriteValue(StringBuilder text, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(text, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Number:
                text.Append(JsNumber(value));
                break;
            default:
                text.Append("null");
                break;
        }
    }

    // JavaScript prints integers plainly and other numbers in their shortest round-trip form.
    private static string JsNumber(JsonValue value)
    {
        // A parsed number converts to anything; one we set in code (JsonValue<int>) only to its own type.
        if (value.TryGetValue<long>(out var whole)) return whole.ToString(CultureInfo.InvariantCulture);
        if (value.TryGetValue<int>(out var small)) return small.ToString(CultureInfo.InvariantCulture);
        double number;
        if (value.TryGetValue<double>(out var d)) number = d;
        else if (value.TryGetValue<decimal>(out var m)) number = (double)m;
        else if (value.TryGetValue<float>(out var f)) number = f;
        else number = double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
        if (double.IsNaN(number) || double.IsInfinity(number)) return "null";
        if (number == Math.Floor(number) && Math.Abs(number) < 1e21) return number.ToString("F0", CultureInfo.InvariantCulture);
        var r = number.ToString("R", CultureInfo.InvariantCulture);
        // .NET writes 1E-07 / 1E+21 where JavaScript writes 1e-7 / 1e+21.
        var e = r.IndexOf('E');
        if (e < 0) return r;
        var mantissa = r[..e];
        var exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        return $"{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent)}";
    }

    // JSON.stringify escapes only the quote, the backslash and control characters (and lone surrogates).
    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c < 0x20) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { text.Append(c).Append(value[i + 1]); i++; }
                    else if (char.IsSurrogate(c)) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }

    private static void Indent(StringBuilder text, int depth) => text.Append(' ', depth * 4);

    // JavaScript truthiness for the pre_launch_script check (`!obj.pre_launch_script`).
    private static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>() != 0,
        _ => true,
    };
}
