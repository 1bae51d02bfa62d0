using System.Text.Json.Serialization;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// The Upgrades types that cross the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null, so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(CvmUserConfigResponse))]
[JsonSerializable(typeof(ComposeUpdateProvisionResponse))]
[JsonSerializable(typeof(CommitComposeUpdateRequest))]
[JsonSerializable(typeof(CommitComposeUpdateResponse))]
[JsonSerializable(typeof(UpdateCvmEnvsRequest))]
[JsonSerializable(typeof(UpdateCvmEnvsResponse))]
[JsonSerializable(typeof(CvmPatchResponse))]
[JsonSerializable(typeof(CommitCvmUpdateRequest))]
[JsonSerializable(typeof(List<AvailableOsImage>))]
public partial class UpgradesJson : JsonSerializerContext;
