using System.Text.Json.Serialization;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Health;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>
/// Every type that crosses the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null (slug, chain_id, vm_uuid…), so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ValidationErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(CurrentUserV20260121))]
[JsonSerializable(typeof(CurrentUserV20251028))]
[JsonSerializable(typeof(List<TeepodResponse>))]
[JsonSerializable(typeof(TeepodResponse))]
[JsonSerializable(typeof(RegisterTeepodRequest))]
[JsonSerializable(typeof(UpdateTeepodRequest))]
[JsonSerializable(typeof(TierCapacity))]
[JsonSerializable(typeof(List<StoredImage>))]
[JsonSerializable(typeof(HostedCvmResponse))]
public partial class AppJsonContext : JsonSerializerContext;
