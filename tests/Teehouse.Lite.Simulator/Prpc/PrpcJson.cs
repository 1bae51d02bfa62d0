using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>
/// Serializer settings that reproduce serde_json output: proto snake_case names, unset optionals as
/// <c>null</c> rather than omitted, and no HTML-escaping of characters serde leaves alone.
/// </summary>
/// <remarks>
/// The simulator is a JIT-only test tool, so it serializes by reflection; the resolver is set explicitly because the
/// test project that hosts it in-process turns reflection off by default (to catch the product's AOT gaps).
/// </remarks>
internal static class PrpcJson
{
    /// <summary>Plain reflection-based options for internal files and payloads.</summary>
    public static readonly JsonSerializerOptions Plain = new() { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    public static readonly JsonSerializerOptions Compact = new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    // serde_json::to_string_pretty: two-space indent, '\n' line breaks.
    private static readonly JsonSerializerOptions Pretty = new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Compact);

    /// <summary>The body dstack's ra-rpc writes for any failed call: <c>{"error": "..."}</c>, pretty-printed.</summary>
    public static byte[] ErrorBody(string message) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = message }, Pretty);
}
