using System.Text.Json.Serialization;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
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
[JsonSerializable(typeof(CvmPageV20260121))]
[JsonSerializable(typeof(CvmPageV20251028))]
[JsonSerializable(typeof(CvmInfoDetailV20260121))]
[JsonSerializable(typeof(CvmDetailV20251028))]
[JsonSerializable(typeof(CvmVmResponse))]
[JsonSerializable(typeof(CvmStateResponse))]
[JsonSerializable(typeof(CvmStateStreamEvent))]
[JsonSerializable(typeof(RestartCvmRequest))]
[JsonSerializable(typeof(ProvisionCvmRequest))]
[JsonSerializable(typeof(ProvisionCvmResponse))]
[JsonSerializable(typeof(CommitCvmRequest))]
[JsonSerializable(typeof(Teehouse.Lite.Kms.KmsInfo))]
[JsonSerializable(typeof(Teehouse.Lite.Kms.KmsListResponse))]
[JsonSerializable(typeof(Teehouse.Lite.Kms.EnvEncryptPubkeyResponse))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.ComposeUpdateProvisionResponse))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.CommitComposeUpdateRequest))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.CommitComposeUpdateResponse))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.UpdateCvmEnvsRequest))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.UpdateCvmEnvsResponse))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.CvmPatchResponse))]
[JsonSerializable(typeof(Teehouse.Lite.Upgrades.CommitCvmUpdateRequest))]
[JsonSerializable(typeof(Teehouse.Lite.Apps.AppPageV20260121))]
[JsonSerializable(typeof(Teehouse.Lite.Apps.AppV20260121))]
[JsonSerializable(typeof(List<CvmInfoV20260121>))]
[JsonSerializable(typeof(Teehouse.Lite.Apps.AppPageV20251028))]
[JsonSerializable(typeof(Teehouse.Lite.Apps.AppV20251028))]
[JsonSerializable(typeof(List<CvmInfoV20251028>))]
[JsonSerializable(typeof(Teehouse.Lite.Apps.CreateAppInstanceRequest))]
public partial class AppJsonContext : JsonSerializerContext;
