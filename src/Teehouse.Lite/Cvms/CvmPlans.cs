using System.Text.Json.Serialization;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// The plan of a CVM to create (a deploy provision or a prepared app instance), as a pending operation's payload.
/// App id, teepod, compose hash and resources live in the pending row itself.
/// </summary>
/// <param name="KmsUrls">Sent as CreateVm's <c>kms_urls</c>: the KMS the env was keyed for, so the guest asks that one and
/// not the host's default. Null or empty leaves the vmm's <c>cvm.kms_urls</c>.</param>
/// <param name="GatewayUrls">Likewise <c>gateway_urls</c>.</param>
public sealed record CreationPlan(
    string Name, string Image, string ComposeFile, bool Listed, string? EncryptedEnv, string? InstanceType, string? KmsId,
    string? EnvPubkey = null, IReadOnlyList<string>? KmsUrls = null, IReadOnlyList<string>? GatewayUrls = null);

/// <summary>The plan of a prepared change to a CVM (compose update, prepared PATCH): the bytes to write.</summary>
public sealed record UpdatePlan(string? ComposeFile, string? EncryptedEnv, string? UserConfig);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CreationPlan))]
[JsonSerializable(typeof(UpdatePlan))]
internal partial class CvmPlanJson : JsonSerializerContext;
