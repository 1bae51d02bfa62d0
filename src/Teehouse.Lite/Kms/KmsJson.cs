using System.Text.Json.Serialization;

namespace Teehouse.Lite.Kms;

/// <summary>
/// The Kms types that cross the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null, so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(KmsListResponse))]
[JsonSerializable(typeof(EnvEncryptPubkeyResponse))]
[JsonSerializable(typeof(KmsPinsResponse))]
public partial class KmsJson : JsonSerializerContext;
