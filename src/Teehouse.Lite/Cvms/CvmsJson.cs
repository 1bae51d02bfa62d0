using System.Text.Json.Serialization;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// The Cvms types that cross the HTTP boundary. snake_case, and nulls are written: the official clients require
/// keys that are present-but-null, so dropping nulls would break them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(HostedCvmResponse))]
[JsonSerializable(typeof(CvmPageV20260121))]
[JsonSerializable(typeof(CvmPageV20251028))]
[JsonSerializable(typeof(CvmInfoDetailV20260121))]
[JsonSerializable(typeof(CvmDetailV20251028))]
[JsonSerializable(typeof(CvmVmResponse))]
[JsonSerializable(typeof(CvmStateResponse))]
[JsonSerializable(typeof(CvmStateStreamEvent))]
[JsonSerializable(typeof(RestartCvmRequest))]
[JsonSerializable(typeof(CvmInfoV20260121))]
[JsonSerializable(typeof(List<CvmInfoV20260121>))]
[JsonSerializable(typeof(List<CvmInfoV20251028>))]
[JsonSerializable(typeof(CvmStatusBatchRequest))]
[JsonSerializable(typeof(Dictionary<string, CvmBatchStatus>))]
[JsonSerializable(typeof(List<string>))]
public partial class CvmsJson : JsonSerializerContext;
