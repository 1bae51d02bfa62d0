using System.Text.Json;
using System.Text.Json.Serialization;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// The pRPC JSON of dstack-vmm, the KMS and the gateway: proto snake_case names, unknown fields ignored, nulls left
/// out of requests (serde defaults missing fields), and lenient scalars on the way in (see LenientJsonConverters).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    Converters = new[] { typeof(LenientInt32Converter), typeof(LenientInt64Converter), typeof(LenientBooleanConverter) })]
[JsonSerializable(typeof(EmptyMessage))]
[JsonSerializable(typeof(IdMessage))]
[JsonSerializable(typeof(AppIdMessage))]
[JsonSerializable(typeof(ComposeHashMessage))]
[JsonSerializable(typeof(VmmVersion))]
[JsonSerializable(typeof(VmmMeta))]
[JsonSerializable(typeof(VmmStatusRequest))]
[JsonSerializable(typeof(VmmStatusResponse))]
[JsonSerializable(typeof(GetInfoResponse))]
[JsonSerializable(typeof(ImageListResponse))]
[JsonSerializable(typeof(VmmGpuList))]
[JsonSerializable(typeof(VmConfiguration))]
[JsonSerializable(typeof(UpdateVmRequest))]
[JsonSerializable(typeof(UpgradeAppRequest))]
[JsonSerializable(typeof(ResizeVmRequest))]
[JsonSerializable(typeof(EnvEncryptPublicKey))]
[JsonSerializable(typeof(KmsMeta))]
[JsonSerializable(typeof(GatewayInfo))]
internal sealed partial class DstackJsonContext : JsonSerializerContext;
