using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// Upgrading a running CVM, the SDK's two-phase compose update and its env update:
/// <list type="bullet">
/// <item><c>POST /cvms/{id}/compose_file/provision</c>: the CVM's live app-compose with the given fields applied, written
/// as the SDK's canonical bytes; stored (by CVM + hash, for <see cref="PendingLifetime"/>) and its hash returned.</item>
/// <item><c>PATCH /cvms/{id}/compose_file</c>: writes exactly those bytes (and the new encrypted env, if given) with the
/// vmm's UpdateVm, keeping the app id, then restarts the CVM if it runs: dstack applies UpdateVm at the next start.</item>
/// <item><c>PATCH /cvms/{id}/envs</c>: replaces the encrypted env; when <c>env_keys</c> differ from the compose's
/// <c>allowed_envs</c> the compose changes too. With an on-chain KMS that new hash must be registered first: HTTP 465
/// with it, until the request carries it. With the off-chain KMS it is applied at once (<c>allowed_envs_changed</c>).</item>
/// </list>
/// The restart is the graceful one of <c>POST /cvms/{id}/restart</c> (ShutdownVm, then started once down, forced if the
/// guest does not power off). A CVM that is not running keeps its state and boots the new compose when started.
/// </summary>
public sealed partial class CvmUpgradesModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/cvms").RequireAuthorization();
        group.MapPost("/{cvmId}/compose_file/provision", Provision).Produces<ComposeUpdateProvisionResponse>();
        group.MapPatch("/{cvmId}/compose_file", Commit).Produces<CommitComposeUpdateResponse>(StatusCodes.Status202Accepted);
        group.MapPatch("/{cvmId}/envs", UpdateEnvs).Produces<UpdateCvmEnvsResponse>(StatusCodes.Status202Accepted);
        group.MapPatch("/{cvmId}/resources", Resources).Produces<CvmPatchResponse>(StatusCodes.Status202Accepted);
        group.MapPatch("/{cvmId}/visibility", Visibility).Produces<CvmDetailV20251028>();
        group.MapGet("/{cvmId}/user_config", UserConfig).Produces<CvmUserConfigResponse>();
        group.MapGet("/{cvmId}/docker-compose.yml", DockerComposeText).Produces<string>(contentType: "text/yaml");
        group.MapPatch("/{cvmId}/docker-compose", UpdateDockerCompose).Produces<CvmPatchResponse>(StatusCodes.Status202Accepted);
        group.MapGet("/{cvmId}/pre-launch-script", PreLaunchScriptText).Produces<string>(contentType: "text/plain");
        group.MapPatch("/{cvmId}/pre-launch-script", UpdatePreLaunchScript).Produces<CvmPatchResponse>(StatusCodes.Status202Accepted);
        group.MapGet("/{cvmId}/available-os-images", AvailableOsImages).Produces<List<AvailableOsImage>>();
        group.MapPatch("/{cvmId}/os-image", UpdateOsImage).Produces(StatusCodes.Status204NoContent);
        group.MapPatch("/{cvmId}", Patch).Produces<CvmPatchResponse>(StatusCodes.Status202Accepted);
        group.MapPost("/{cvmId}/commit-update", CommitUpdate).Produces<CvmPatchResponse>(StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> Provision(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, KmsCatalog kmsCatalog, CancellationToken ct)
    {
        var fields = await ReadObjectAsync(request, ct);
        if (fields.TryGetPropertyValue("update_env_vars", out var flag))
        {
            if (flag is not null && flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                throw ValidationException.For("body", "update_env_vars", "Input should be a valid boolean", "bool_type");
            fields.Remove("update_env_vars");
        }

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        ThrowIfRemoving(row);
        var (_, vm) = await LiveAsync(row, clients, power, ct);
        var current = CurrentCompose(row, vm);

        var merged = (JsonObject)current.DeepClone();
        if (fields.ContainsKey("gateway_enabled") || fields.ContainsKey("tproxy_enabled"))
        {
            // The request says what the gateway setting is: the legacy alias of the stored compose must not override it.
            merged.Remove("gateway_enabled");
            merged.Remove("tproxy_enabled");
        }
        foreach (var (key, value) in fields) merged[key] = value?.DeepClone();
        var v = new Validator();
        AppComposeBuilder.Validate(merged, v);
        v.ThrowIfInvalid();

        var (text, hash) = Canonical(merged, row.Name);
        var now = DateTime.UtcNow;
        var saved = await pending.SaveAsync(UpdateOperation(PendingKind.ComposeUpdate, row, user, hash, new UpdatePlan(text, null, null), null, now), renewDone: true)
            ?? throw ApiException.Conflict($"The compose update {hash} of CVM {row.HashedId} is being applied right now");
        return TypedResults.Json(
            new ComposeUpdateProvisionResponse(row.AppId, DeviceId: null, hash, KmsOf(await kmsCatalog.ListAsync(), vm, merged), ComposeHashRegistered: true, saved.ExpiresAt),
            UpgradesJson.Default.ComposeUpdateProvisionResponse);
    }

    private static async Task<IResult> Commit(
        string cvmId, CommitComposeUpdateRequest body, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, PendingStore pending, CvmOperations operations, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var v = new Validator();
        v.Require(body.ComposeHash is not null, "compose_hash", "Field required", "missing");
        var hash = body.ComposeHash is null ? "" : NormalizeHash(body.ComposeHash);
        if (body.ComposeHash is not null) v.Require(Hash64().IsMatch(hash), "compose_hash", "compose_hash must be 64 hex characters");
        var env = NormalizeEnv(v, body.EncryptedEnv, required: false);
        v.ThrowIfInvalid();

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        var prepared = await pending.FindAsync(PendingKind.ComposeUpdate, UpdateKey(row, hash))
            ?? throw ApiException.NotFound(
                $"No compose update with hash {hash} was provisioned for CVM {row.HashedId}; call POST /api/v1/cvms/{cvmId}/compose_file/provision first");
        ThrowIfRemoving(row);

        var (vmm, vm) = await LiveAsync(row, clients, power, ct);
        string? note = null;
        await operations.CommitUpdateAsync(prepared, row, user.User!, null, async plan => note = await UpdateVmAsync(row, vmm, vm, power, logger, new UpdateVmRequest
        {
            Id = row.VmUuid,
            ComposeFile = plan.ComposeFile,
            EncryptedEnv = env.Length > 0 ? env : null,
        }, ct), ct);
        var (correlationId, restarting) = await RestartIfRunningAsync(row, vmm, queries, power, ct);
        logger.LogInformation("CVM {Id} ({Name}): compose updated to {Hash}{Env}{Restart}", row.Id, row.Name, hash,
            env.Length > 0 ? " with a new encrypted env" : "", restarting ? ", restarting" : "");
        return TypedResults.Json(
            new CommitComposeUpdateResponse("in_progress",
                WithNote(restarting ? "Compose updated; the CVM is restarting with it" : "Compose updated; it takes effect when the CVM starts", note),
                correlationId, hash, row.AppId, restarting),
            UpgradesJson.Default.CommitComposeUpdateResponse, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> UpdateEnvs(
        string cvmId, UpdateCvmEnvsRequest body, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger,
        CancellationToken ct)
    {
        var v = new Validator();
        var env = NormalizeEnv(v, body.EncryptedEnv, required: true);
        if (body.EnvKeys is not null)
            v.Require(body.EnvKeys.All(k => k is not null && EnvKey().IsMatch(k)), "env_keys", "env_keys must be a list of environment variable names");
        var givenHash = body.ComposeHash is null ? null : NormalizeHash(body.ComposeHash);
        if (givenHash is not null) v.Require(Hash64().IsMatch(givenHash), "compose_hash", "compose_hash must be 64 hex characters");
        v.ThrowIfInvalid();

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        ThrowIfRemoving(row);
        var (vmm, vm) = await LiveAsync(row, clients, power, ct);
        var current = CurrentCompose(row, vm);
        var allowed = (current["allowed_envs"] as JsonArray)?.Select(e => e is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        var keys = body.EnvKeys?.Distinct(StringComparer.Ordinal).ToList();
        var changed = keys is not null && !allowed.SetEquals(keys);

        string? composeText = null;
        string? composeHash = null;
        if (changed)
        {
            var next = (JsonObject)current.DeepClone();
            next["allowed_envs"] = new JsonArray([.. keys!.Select(k => (JsonNode)JsonValue.Create(k))]);
            (composeText, composeHash) = Canonical(next, row.Name);
            var kms = KmsOf(await kmsCatalog.ListAsync(), vm, next);
            if (givenHash is null && kms?.ChainId is not null)
                return EnvKeysPrecondition(composeHash, row.AppId, kms);
            if (givenHash is not null && givenHash != composeHash)
                throw ApiException.Conflict(
                    $"compose_hash {givenHash} is not the hash of CVM {row.HashedId}'s compose with these env_keys ({composeHash}); the compose changed meanwhile");
        }

        await operations.ChangeAsync(row, user.User!, new CvmChange(ComposeHash: composeHash),
            () => UpdateVmAsync(row, vmm, vm, power, logger, new UpdateVmRequest { Id = row.VmUuid, ComposeFile = composeText, EncryptedEnv = env }, ct), ct);
        var (correlationId, restarting) = await RestartIfRunningAsync(row, vmm, queries, power, ct);
        logger.LogInformation("CVM {Id} ({Name}): encrypted env replaced{Keys}{Restart}", row.Id, row.Name,
            changed ? $", allowed_envs now {string.Join(",", keys!)} (compose {composeHash})" : "", restarting ? ", restarting" : "");
        var message = (changed ? "Environment and allowed env keys updated" : "Environment updated")
                      + (restarting ? "; the CVM is restarting with them" : "; they take effect when the CVM starts");
        return TypedResults.Json(new UpdateCvmEnvsResponse("in_progress", message, correlationId, changed),
            UpgradesJson.Default.UpdateCvmEnvsResponse, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// HTTP 465 as the hosted API answers it; the SDK turns <c>detail.details</c> into its <c>precondition_required</c>
    /// result (it needs compose_hash and app_id; device_id may be null; kms_info must be a full KmsInfo).
    /// </summary>
    private static IResult EnvKeysPrecondition(string composeHash, string appId, KmsInfo kms) =>
        Precondition.Required(
            "The env keys change the compose: register the new compose hash on chain, then repeat the request with compose_hash and transaction_hash",
            [
                new("compose_hash", JsonValue.Create(composeHash)),
                new("app_id", JsonValue.Create(appId)),
                new("device_id", null),
                new("kms_info", JsonSerializer.SerializeToNode(kms, SharedJson.Default.KmsInfo)),
            ]);

    private static string WithNote(string message, string? note) => note is null ? message : $"{message}; {note}";

    private static string UpdateKey(CvmRow row, string composeHash) => $"{row.Id}:{composeHash}";

    /// <summary>A prepared change of a CVM's compose (and env, user_config), as its pending operation.</summary>
    private static PendingOperation UpdateOperation(
        string kind, CvmRow row, CurrentUser user, string composeHash, UpdatePlan plan, string? commitToken, DateTime now) => new()
    {
        Kind = kind,
        LookupKey = UpdateKey(row, composeHash),
        TokenHash = commitToken is null ? null : CommitTokens.HashOf(commitToken),
        UserId = user.Id,
        AppId = row.AppId,
        CvmId = row.Id,
        TeepodId = row.TeepodId,
        ComposeHash = composeHash,
        Payload = CvmOperations.SerializePlan(plan),
        CreatedAt = Clock.ToText(now),
        ExpiresAt = Clock.ToText(now + PendingLifetime.Default),
    };

    /// <summary>The SDK's bytes for a compose (dstack's required fields filled in) and their hash.</summary>
    private static (string Text, string Hash) Canonical(JsonObject compose, string fallbackName)
    {
        var text = AppComposeJson.Dump(AppComposeJson.Preprocess(AppComposeBuilder.Build(compose, fallbackName)));
        return (text, AppComposeJson.Hash(text));
    }

    private static async Task<(VmmClient Vmm, VmInfo Vm)> LiveAsync(CvmRow row, DstackClientFactory clients, CvmPower power, CancellationToken ct)
    {
        var vmm = clients.VmmOf(row);
        var vm = await vmm.GetInfoAsync(row.VmUuid, ct) ?? throw await power.GoneAsync(row);
        return (vmm, vm);
    }

    private static JsonObject CurrentCompose(CvmRow row, VmInfo vm)
    {
        var text = vm.Configuration?.ComposeFile;
        try
        {
            if (!string.IsNullOrEmpty(text) && JsonNode.Parse(text) is JsonObject compose) return compose;
        }
        catch (JsonException)
        {
            // answered below
        }
        throw ApiException.Conflict($"The app-compose.json of CVM {row.HashedId} is not a valid JSON object; it cannot be updated");
    }

    /// <summary>
    /// Returns a note for the caller when the guest will attest another app id (see <see cref="NonKmsUpgrades"/>).
    /// <paramref name="vm"/>: the VM as the request found it (its image and image version).
    /// </summary>
    private static async Task<string?> UpdateVmAsync(
        CvmRow row, VmmClient vmm, VmInfo vm, CvmPower power, ILogger logger, UpdateVmRequest request, CancellationToken ct)
    {
        string? note = null;
        if (request.ComposeFile is { } compose
            && (note = NonKmsUpgrades.Check(vm, row.AppId, row.HashedId, compose, request.Image)) is not null)
        {
            // Not refused: the id the guest attests changes, while ours (and the vmm's) stays the app's identity.
            logger.LogWarning("CVM {Id} ({Name}): {Note}", row.Id, row.Name, note);
        }
        try
        {
            await vmm.ApplyUpdateAsync(request, ct);
            return note;
        }
        catch (DstackException e) when (e.Failure == DstackFailure.RemoteError)
        {
            // The vmm refused: if it no longer has the VM at all, say so (404) instead of relaying its file error.
            if (await vmm.GetInfoAsync(row.VmUuid, ct) is null) throw await power.GoneAsync(row);
            throw;
        }
    }

    /// <summary>A running CVM is restarted (gracefully) so that it boots what UpdateVm wrote; any other is left as it is.</summary>
    private static async Task<(string CorrelationId, bool Restarting)> RestartIfRunningAsync(
        CvmRow row, VmmClient vmm, CvmStore queries, CvmPower power, CancellationToken ct)
    {
        var vm = await vmm.GetInfoAsync(row.VmUuid, ct);
        if (vm?.Status != "running") return (Guid.NewGuid().ToString("n"), false);
        var fresh = await queries.ByIdAsync(row.Id) ?? row;
        var (after, _) = await power.RestartAsync(fresh, force: false, ct);
        return (after.ProgressCorrelationId ?? Guid.NewGuid().ToString("n"), true);
    }

    /// <summary>The KMS the CVM's guest uses (the one of its vmm's kms_urls we know), when its compose enables a KMS.</summary>
    private static KmsInfo? KmsOf(IReadOnlyList<KmsInfo> kmsList, VmInfo vm, JsonObject compose)
    {
        if (compose["kms_enabled"]?.GetValueKind() != JsonValueKind.True || vm.Configuration is not { } c) return null;
        return HostedCvmMapper.PickKms(c.KmsUrls, kmsList);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            throw new ValidationException([new ValidationError(["body"], "JSON decode error", "json_invalid")]);
        }
        return node as JsonObject
               ?? throw new ValidationException([new ValidationError(["body"], "Input should be a valid dictionary", "dict_type")]);
    }

    private static string NormalizeHash(string hash)
    {
        var h = hash.Trim().ToLowerInvariant();
        return h.StartsWith("0x", StringComparison.Ordinal) ? h[2..] : h;
    }

    private static string NormalizeEnv(Validator v, string? encryptedEnv, bool required)
    {
        if (required) v.Require(!string.IsNullOrWhiteSpace(encryptedEnv), "encrypted_env", "Field required", "missing");
        var env = encryptedEnv?.Trim() ?? "";
        if (env.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) env = env[2..];
        v.Require(env.Length % 2 == 0 && HexText().IsMatch(env), "encrypted_env", "encrypted_env must be hex");
        return env.ToLowerInvariant();
    }

    private static void ThrowIfRemoving(CvmRow row)
    {
        if (row.Status == "removing") throw ApiException.Conflict($"CVM {row.HashedId} is being deleted");
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Hash64();

    [GeneratedRegex("^[0-9a-fA-F]*$")]
    private static partial Regex HexText();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvKey();
}
