using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// <c>GET /cvms/{id}/user_config</c> (the SDK's <c>getCvmUserConfig</c>, <c>phala runtime-config</c>): the VM's live
/// user_config read as a JSON object: <c>hostname</c>, <c>ssh_authorized_keys</c> (a list, or one key per line) and
/// <c>default_gateway_domain</c>; anything missing or unreadable is null / an empty list.
/// </summary>
public sealed partial class CvmUpgradesModule
{
    private static async Task<IResult> UserConfig(
        string cvmId, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients, CancellationToken ct)
    {
        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        var (_, vm) = await LiveAsync(row, clients, power, ct);
        JsonObject? config = null;
        try
        {
            if (vm.Configuration?.UserConfig is { Length: > 0 } text) config = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            config = null;
        }
        var keys = config?["ssh_authorized_keys"] switch
        {
            JsonArray a => a.OfType<JsonValue>().Where(k => k.GetValueKind() == JsonValueKind.String).Select(k => k.GetValue<string>()).ToList(),
            JsonValue s when s.GetValueKind() == JsonValueKind.String =>
                s.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            _ => [],
        };
        return TypedResults.Json(new CvmUserConfigResponse(Str(config, "hostname"), keys, Str(config, "default_gateway_domain")),
            UpgradesJson.Default.CvmUserConfigResponse);

        static string? Str(JsonObject? o, string key) =>
            o?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
    }
}

/// <summary>The SDK's <c>CvmUserConfigSchema</c>.</summary>
public sealed record CvmUserConfigResponse(string? Hostname, List<string> SshAuthorizedKeys, string? DefaultGatewayDomain);
