using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// <c>PATCH /cvms/{id}/resources</c> (the SDK's <c>updateCvmResources</c>, <c>phala cvms resize</c>): the resize of
/// <c>PATCH /cvms/{id}</c> under its stop rules. <c>allow_restart: true</c> (the CLI's <c>-r true</c>) is that route's
/// <c>allow_force_stop</c>; <c>instance_type</c> stands for its vcpu and memory unless they are given. The SDK also sends
/// the CVM's id fields (id, uuid, app_id, instance_id, name): they are ignored, the path names the CVM.
/// </summary>
public sealed partial class CvmUpgradesModule
{
    private static async Task<IResult> Resources(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var body = request.ContentLength == 0 ? [] : await ReadObjectAsync(request, ct);
        var v = new Validator();
        var fields = new JsonObject();
        foreach (var key in (string[])["vcpu", "memory", "disk_size"])
            if (body[key] is { } value) fields[key] = value.DeepClone();
        if (body["instance_type"] is { } typeNode)
        {
            var ok = typeNode.GetValueKind() == JsonValueKind.String;
            v.Require(ok, "instance_type", "Input should be a valid string", "string_type");
            var type = ok ? InstanceTypes.Find(typeNode.GetValue<string>()) : null;
            if (ok) v.Require(type is not null, "instance_type",
                $"Unknown instance type; one of {string.Join(", ", InstanceTypes.All.Select(t => t.Id))}");
            if (type is not null)
            {
                fields["vcpu"] ??= type.Vcpu;
                fields["memory"] ??= type.MemoryMb;
            }
        }
        var force = false;
        foreach (var key in (string[])["allow_restart", "allow_force_stop"])
        {
            if (body[key] is not { } flag) continue;
            // Read as pydantic's lax bool does: the CLI's `-r true` arrives as the string "true".
            var value = LaxBool(flag);
            v.Require(value is not null, key, "Input should be a valid boolean", "bool_parsing");
            force |= value == true;
        }
        v.ThrowIfInvalid();
        if (fields.Count == 0)
            throw ValidationException.For("body", "body", "Nothing to update: send vcpu, memory, disk_size or instance_type");
        if (force) fields["allow_force_stop"] = true;
        return await ApplyAsync(cvmId, fields, prepareOnly: false, request, user, queries, power, clients, pending, operations,
            kmsCatalog, logger, ct);
    }

    /// <summary>pydantic's accepted spellings of a boolean in lax mode: JSON booleans, 0/1, and the usual words.</summary>
    internal static bool? LaxBool(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when node.AsValue().TryGetValue<double>(out var n) && n is 0 or 1 => n == 1,
        JsonValueKind.String => node.GetValue<string>().Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "y" or "on" or "t" => true,
            "false" or "0" or "no" or "n" or "off" or "f" => false,
            _ => null,
        },
        _ => null,
    };
}
