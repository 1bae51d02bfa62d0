using System.Text.Json.Serialization;

namespace Teehouse.Lite.Teepods;

/// <summary>
/// The Teepods types that cross the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null, so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<TeepodResponse>))]
[JsonSerializable(typeof(TeepodResponse))]
[JsonSerializable(typeof(RegisterTeepodRequest))]
[JsonSerializable(typeof(UpdateTeepodRequest))]
[JsonSerializable(typeof(TierCapacity))]
[JsonSerializable(typeof(List<StoredImage>))]
public partial class TeepodsJson : JsonSerializerContext;
