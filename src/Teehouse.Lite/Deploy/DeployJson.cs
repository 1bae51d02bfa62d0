using System.Text.Json.Serialization;

namespace Teehouse.Lite.Deploy;

/// <summary>
/// The Deploy types that cross the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null, so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ProvisionCvmRequest))]
[JsonSerializable(typeof(ProvisionCvmResponse))]
[JsonSerializable(typeof(CommitCvmRequest))]
public partial class DeployJson : JsonSerializerContext;
