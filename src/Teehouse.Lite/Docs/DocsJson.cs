using System.Text.Json.Serialization;

namespace Teehouse.Lite.Docs;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServiceIndex))]
public partial class DocsJson : JsonSerializerContext;
