using System.Text.Json.Serialization;

namespace Teehouse.Lite.Audit;

/// <summary>The audit types that cross the HTTP boundary (and the CLI's JSON lines): snake_case, nulls written.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(AuditEntry))]
public partial class AuditJson : JsonSerializerContext;
