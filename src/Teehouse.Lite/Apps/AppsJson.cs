using System.Text.Json.Serialization;

namespace Teehouse.Lite.Apps;

/// <summary>
/// The Apps types that cross the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null, so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(AppPageV20260121))]
[JsonSerializable(typeof(AppV20260121))]
[JsonSerializable(typeof(AppPageV20251028))]
[JsonSerializable(typeof(AppV20251028))]
[JsonSerializable(typeof(CreateAppInstanceRequest))]
[JsonSerializable(typeof(ReplicateCvmRequest))]
public partial class AppsJson : JsonSerializerContext;
