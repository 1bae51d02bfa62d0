using System.Text.Json.Serialization;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// The plan of a CVM to create (a deploy provision or a prepared app instance), as a pending operation's payload.
/// App id, teepod, compose hash and resources live in the pending row itself.
/// </summary>
public sealed record CreationPlan(
    string Name, string Image, string ComposeFile, bool Listed, string? EncryptedEnv, string? InstanceType, string? KmsId,
    string? EnvPubkey = null);

/// <summary>The plan of a prepared change to a CVM (compose update, prepared PATCH): the bytes to write.</summary>
public sealed record UpdatePlan(string? ComposeFile, string? EncryptedEnv, string? UserConfig);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CreationPlan))]
[JsonSerializable(typeof(UpdatePlan))]
internal partial class CvmPlanJson : JsonSerializerContext;
