using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// The plain-text views of one app-compose field: <c>GET /cvms/{id}/docker-compose.yml</c> and
/// <c>GET /cvms/{id}/pre-launch-script</c> (the SDK's <c>getCvmDockerCompose</c> / <c>getCvmPreLaunchScript</c>: the live
/// text, empty when unset), and <c>PATCH /cvms/{id}/docker-compose</c> (text/yaml) / <c>PATCH /cvms/{id}/pre-launch-script</c>
/// (text/plain): the raw body as that field of <c>PATCH /cvms/{id}</c> (same validation, 202 answer and restart). The
/// off-chain KMS needs no on-chain registration, so these never answer 465 and take no X-Compose-Hash.
/// </summary>
public sealed partial class CvmUpgradesModule
{
    private static Task<IResult> DockerComposeText(
        string cvmId, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients, CancellationToken ct) =>
        FieldTextAsync(cvmId, "docker_compose_file", "text/yaml", user, queries, power, clients, ct);

    private static Task<IResult> PreLaunchScriptText(
        string cvmId, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients, CancellationToken ct) =>
        FieldTextAsync(cvmId, "pre_launch_script", "text/plain", user, queries, power, clients, ct);

    private static async Task<IResult> FieldTextAsync(
        string cvmId, string field, string contentType, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, CancellationToken ct)
    {
        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        var (_, vm) = await LiveAsync(row, clients, power, ct);
        var value = CurrentCompose(row, vm)[field];
        var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
        return TypedResults.Text(text, contentType, Encoding.UTF8);
    }

    private static Task<IResult> UpdateDockerCompose(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger, CancellationToken ct) =>
        UpdateFieldAsync(cvmId, "docker_compose_file", request, user, queries, power, clients, pending, operations, kmsCatalog, logger, ct);

    private static Task<IResult> UpdatePreLaunchScript(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger, CancellationToken ct) =>
        UpdateFieldAsync(cvmId, "pre_launch_script", request, user, queries, power, clients, pending, operations, kmsCatalog, logger, ct);

    private static async Task<IResult> UpdateFieldAsync(
        string cvmId, string field, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog,
        ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
        if (field == "docker_compose_file" && string.IsNullOrWhiteSpace(text))
            throw ValidationException.For("body", field, "The body must be the docker-compose YAML");
        if (request.Headers.ContainsKey("X-Compose-Hash") || request.Headers.ContainsKey("X-Transaction-Hash"))
            throw ValidationException.For("header", "X-Compose-Hash",
                "No on-chain confirmation is needed with the off-chain KMS; send the text without X-Compose-Hash");
        return await ApplyAsync(cvmId, new JsonObject { [field] = text }, prepareOnly: false, request, user, queries, power,
            clients, pending, operations, kmsCatalog, logger, ct);
    }
}
