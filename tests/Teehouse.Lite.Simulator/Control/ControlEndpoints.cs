using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Simulator.Prpc;

namespace Teehouse.Lite.Simulator.Control;

/// <summary>
/// The simulator's own JSON control API under <c>/_sim</c>, for driving scenarios from outside the
/// process (standalone mode). Never subject to faults or auth.
/// </summary>
internal sealed class ControlEndpoints(SimulatorState state, Func<int> port)
{
    public async Task HandleAsync(HttpContext context, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var isPost = HttpMethods.IsPost(context.Request.Method);
        var isGet = HttpMethods.IsGet(context.Request.Method);
        try
        {
            switch (segments)
            {
                case ["_sim", "state"] when isGet:
                    await WriteAsync(context, 200, Summary());
                    return;
                case ["_sim", "fault"] when isGet:
                    await WriteAsync(context, 200, FaultJson());
                    return;
                case ["_sim", "fault"] when isPost:
                    await SetFaultAsync(context);
                    return;
                case ["_sim", "vms"] when isGet:
                    await WriteAsync(context, 200, JsonSerializer.SerializeToNode(state.ListVms(), PrpcJson.Compact)!);
                    return;
                case ["_sim", "vms", var id, "crash"] when isPost:
                    await CrashAsync(context, id);
                    return;
                case ["_sim", "vms", var id, "boot"] when isPost:
                    await BootAsync(context, id);
                    return;
                case ["_sim", "vms", var id, "event"] when isPost:
                    await EventAsync(context, id);
                    return;
                case ["_sim", "kms", "decrypt"] when isPost:
                    await DecryptEnvAsync(context);
                    return;
                default:
                    await WriteAsync(context, 404, Error($"no control endpoint {context.Request.Method} {path}"));
                    return;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            await WriteAsync(context, 400, Error($"malformed request: {e.Message}"));
        }
    }

    private async Task SetFaultAsync(HttpContext context)
    {
        var body = await ReadObjectAsync(context);
        var modeText = body["mode"]?.GetValue<string>() ?? "none";
        FaultMode? mode = modeText.ToLowerInvariant() switch
        {
            "none" => FaultMode.None,
            "hang" => FaultMode.Hang,
            "slow" => FaultMode.Slow,
            "garbage" => FaultMode.Garbage,
            "error500" => FaultMode.Error500,
            _ => null,
        };
        if (mode is null)
        {
            await WriteAsync(context, 400, Error($"unknown fault mode {modeText}"));
            return;
        }

        TimeSpan? delay = body["delay_ms"] is { } ms ? TimeSpan.FromMilliseconds(ms.GetValue<double>()) : null;
        state.Faults.Set(mode.Value, delay);
        await WriteAsync(context, 200, FaultJson());
    }

    private async Task CrashAsync(HttpContext context, string id)
    {
        if (state.GetVm(id) is null)
        {
            await WriteAsync(context, 404, Error("VM not found"));
            return;
        }

        if (!state.CrashVm(id))
        {
            await WriteAsync(context, 409, Error("VM process is not running"));
            return;
        }

        await WriteAsync(context, 200, VmJson(id));
    }

    private async Task BootAsync(HttpContext context, string id)
    {
        var body = await ReadObjectAsync(context);
        var progress = body["progress"]?.GetValue<string>() ?? "done";
        var instanceId = body["instance_id"]?.GetValue<string>();
        var error = body["error"]?.GetValue<string>();
        if (!state.ReportBoot(id, progress, instanceId))
        {
            await WriteAsync(context, 404, Error("VM not found"));
            return;
        }

        if (error is not null)
        {
            state.ReportGuestEvent(id, "boot.error", error);
        }

        await WriteAsync(context, 200, VmJson(id));
    }

    private async Task EventAsync(HttpContext context, string id)
    {
        var body = await ReadObjectAsync(context);
        var name = body["event"]?.GetValue<string>() ?? "";
        var payload = body["body"]?.GetValue<string>() ?? "";
        if (!state.ReportGuestEvent(id, name, payload))
        {
            await WriteAsync(context, 404, Error("VM not found"));
            return;
        }

        await WriteAsync(context, 200, VmJson(id));
    }

    /// <summary>
    /// <c>{"app_id": "&lt;40 hex&gt;", "encrypted_env": "&lt;hex&gt;"}</c> → <c>{"plaintext": "..."}</c>: opens an env
    /// envelope with the simulated KMS's key for the app, as the guest would (422 when it does not open).
    /// </summary>
    private async Task DecryptEnvAsync(HttpContext context)
    {
        var body = await ReadObjectAsync(context);
        var appId = body["app_id"]?.GetValue<string>() ?? "";
        var envelope = body["encrypted_env"]?.GetValue<string>() ?? "";
        appId = appId.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? appId[2..] : appId;
        envelope = envelope.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? envelope[2..] : envelope;
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(envelope);
        }
        catch (FormatException)
        {
            await WriteAsync(context, 400, Error("encrypted_env is not hex"));
            return;
        }

        if (!state.TryDecryptEnv(appId, bytes, out var plaintext))
        {
            await WriteAsync(context, 422, Error("the envelope does not open with this app's key"));
            return;
        }

        await WriteAsync(context, 200, new JsonObject { ["plaintext"] = plaintext });
    }

    private JsonNode Summary()
    {
        var vms = state.ListVms();
        var byStatus = new JsonObject();
        foreach (var group in vms.GroupBy(v => v.Status).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            byStatus[group.Key] = group.Count();
        }

        return new JsonObject
        {
            ["port"] = port(),
            ["vmm_version"] = state.Profile.Name,
            ["vm_count"] = vms.Count,
            ["status_counts"] = byStatus,
            ["fault"] = FaultJson(),
            ["max_cvm_number"] = state.CidCapacity,
            ["auth_enabled"] = state.Options.AuthEnabled,
            ["broken_compose_vm_id"] = state.BrokenComposeVmId,
            ["kms_k256_pubkey"] = state.KmsK256PublicKey,
            ["total_calls"] = state.TotalCalls,
        };
    }

    private JsonObject FaultJson()
    {
        var (mode, delay, _) = state.Faults.Current;
        return new JsonObject
        {
            ["mode"] = mode.ToString().ToLowerInvariant(),
            ["delay_ms"] = (long)delay.TotalMilliseconds,
        };
    }

    private JsonNode VmJson(string id) =>
        state.GetVm(id) is { } vm
            ? new JsonObject
            {
                ["id"] = vm.Id,
                ["name"] = vm.Name,
                ["status"] = vm.Status,
                ["boot_progress"] = vm.BootProgress,
                ["boot_error"] = vm.BootError,
                ["instance_id"] = vm.InstanceId,
            }
            : Error("VM not found");

    private static JsonObject Error(string message) => new() { ["error"] = message };

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        return JsonNode.Parse(text) as JsonObject ?? throw new JsonException("expected a JSON object");
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(PrpcJson.Compact), context.RequestAborted);
    }
}
