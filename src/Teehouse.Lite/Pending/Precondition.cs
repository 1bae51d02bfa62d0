using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Teehouse.Lite.Pending;

public sealed record PreconditionField(string Field, JsonNode? Value);

public sealed record PreconditionDetail(string Message, IReadOnlyList<PreconditionField> Details);

/// <summary>
/// The hosted API's HTTP 465 ("precondition required"): <c>{"detail": {"message", "details": [{field, value}…]}}</c>,
/// the SDK's two-phase flow reads the fields it needs from <c>details</c>.
/// </summary>
public sealed record PreconditionRequiredResponse(PreconditionDetail Detail);

public sealed record OnchainStatus(bool ComposeHashAllowed, bool DeviceIdAllowed, bool IsAllowed);

/// <summary>Builds every 465 answer, so the prepare-only routes cannot drift apart in shape.</summary>
public static class Precondition
{
    public const int StatusCode = 465;

    /// <summary>The answer to a prepare-only request: the plan's identity, where and with what to commit it.</summary>
    public static IResult Prepared(
        string message, string composeHash, string appId, JsonNode? deviceId, JsonNode? kmsInfo, string commitToken, string commitUrl) =>
        Required(message,
        [
            new("compose_hash", JsonValue.Create(composeHash)),
            new("app_id", JsonValue.Create(appId)),
            new("device_id", deviceId),
            new("kms_info", kmsInfo),
            new("commit_token", JsonValue.Create(commitToken)),
            new("commit_url", JsonValue.Create(commitUrl)),
            new("api_commit_url", JsonValue.Create(commitUrl)),
            new("onchain_status", JsonSerializer.SerializeToNode(new OnchainStatus(true, true, true), PendingJson.Default.OnchainStatus)),
        ]);

    public static IResult Required(string message, IReadOnlyList<PreconditionField> details) =>
        TypedResults.Json(new PreconditionRequiredResponse(new PreconditionDetail(message, details)),
            PendingJson.Default.PreconditionRequiredResponse, statusCode: StatusCode);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PreconditionRequiredResponse))]
[JsonSerializable(typeof(OnchainStatus))]
public partial class PendingJson : JsonSerializerContext;
