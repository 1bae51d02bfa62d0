using System.Text.Json.Nodes;
using System.Text.Json;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// <c>PATCH /cvms/{id}</c> (the SDK's <c>patchCvm</c> and <c>confirmCvmPatch</c>) and <c>POST /cvms/{id}/commit-update</c>
/// (<c>commitCvmUpdate</c>):
/// <list type="bullet">
/// <item>Compose fields (docker_compose_file, pre_launch_script, allowed_envs, public_logs/sysinfo/tcbinfo) are laid over
/// the live app-compose and written as the SDK's canonical bytes (the app id stays); encrypted_env and user_config replace
/// the VM's. Applied at once (202 <c>{correlation_id, status: "in_progress"}</c>), a running CVM is restarted gracefully.</item>
/// <item><c>X-Prepare-Only: true</c>: nothing is written; the update is stored (a pending operation) under a single-use commit
/// token, answered with HTTP 465 and the SDK's details list. <c>POST commit-update</c> with that token applies it once;
/// a body-less PATCH with <c>X-Compose-Hash</c> + <c>X-Transaction-Hash</c> applies the pending update of that hash
/// (also one provisioned by <c>compose_file/provision</c>). The transaction hash is recorded, not checked: the off-chain
/// KMS has no registry.</item>
/// <item>vcpu, memory, disk_size, image: dstack resizes only a stopped VM. A stopped CVM is updated and stays stopped; a
/// running one only with <c>allow_force_stop: true</c> (StopVm, UpdateVm, StartVm), otherwise 409. They cannot be
/// prepared (422).</item>
/// <item><c>shutdown_timeout</c> is accepted and ignored (the graceful restart uses the restarter's own timeout);
/// <c>gpus</c> is refused (422): GPU changes are not supported.</item>
/// </list>
/// </summary>
public sealed partial class CvmUpgradesModule
{
    private static readonly string[] ComposeFields =
        ["docker_compose_file", "pre_launch_script", "allowed_envs", "public_logs", "public_sysinfo", "public_tcbinfo"];

    private sealed record PatchPlan(
        JsonObject ComposeFields, string? EncryptedEnv, string? UserConfig, int? Vcpu, int? Memory, int? DiskSize, string? Image,
        bool AllowForceStop)
    {
        public bool Resources => Vcpu is not null || Memory is not null || DiskSize is not null || Image is not null;
        public bool Empty => ComposeFields.Count == 0 && EncryptedEnv is null && UserConfig is null && !Resources;
    }

    private static async Task<IResult> Patch(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var fields = request.ContentLength == 0 ? [] : await ReadObjectAsync(request, ct);
        var confirmHash = request.Headers["X-Compose-Hash"].ToString();
        var transactionHash = request.Headers["X-Transaction-Hash"].ToString();
        if (confirmHash.Length > 0 || transactionHash.Length > 0)
            return await ConfirmAsync(cvmId, confirmHash, transactionHash, fields, user, queries, power, clients, pending, operations, logger, ct);

        return await ApplyAsync(cvmId, fields, PrepareOnly.IsRequested(request), request, user, queries, power, clients, pending,
            operations, kmsCatalog, logger, ct);
    }

    /// <summary>The PATCH itself once the body is read: also the path of <c>PATCH /cvms/{id}/resources</c>.</summary>
    private static async Task<IResult> ApplyAsync(
        string cvmId, JsonObject fields, bool prepareOnly, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog,
        ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var plan = ParsePlan(fields);
        if (prepareOnly && plan.Resources)
            throw ValidationException.For("body", "vcpu",
                "vcpu, memory, disk_size and image cannot be prepared; apply them with a PATCH without X-Prepare-Only");

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        ThrowIfRemoving(row);
        var (vmm, vm) = await LiveAsync(row, clients, power, ct);
        var currentText = vm.Configuration?.ComposeFile ?? "";
        string? composeText = null;
        var composeHash = AppComposeJson.Hash(currentText);
        JsonObject compose = plan.ComposeFields.Count > 0 || prepareOnly ? CurrentCompose(row, vm) : [];
        if (plan.ComposeFields.Count > 0)
        {
            foreach (var (key, value) in plan.ComposeFields) compose[key] = value?.DeepClone();
            var v = new Validator();
            AppComposeBuilder.Validate(compose, v);
            v.ThrowIfInvalid();
            (composeText, composeHash) = Canonical(compose, row.Name);
        }

        if (prepareOnly)
        {
            var token = CommitTokens.New();
            _ = await pending.SaveAsync(UpdateOperation(PendingKind.Patch, row, user, composeHash,
                    new UpdatePlan(composeText ?? currentText, plan.EncryptedEnv, plan.UserConfig), token, DateTime.UtcNow), renewDone: true)
                ?? throw ApiException.Conflict($"An update to compose {composeHash} of CVM {row.HashedId} is being applied right now");
            var kmsList = await kmsCatalog.ListAsync();
            var kms = KmsOf(kmsList, vm, compose) ?? kmsList.FirstOrDefault(k => row.TeepodKmsUrl is { } url && TeepodProbe.SameUrl(k.Url, url)) ?? kmsList.FirstOrDefault();
            var commitUrl = $"{request.Scheme}://{request.Host}{request.PathBase}/api/v1/cvms/{cvmId}/commit-update";
            logger.LogInformation("CVM {Id} ({Name}): update to compose {Hash} prepared, awaiting its commit", row.Id, row.Name, composeHash);
            return PatchPrecondition(composeHash, row.AppId, kms, token, commitUrl);
        }

        var restarting = false;
        string? note = null;
        var correlationId = Guid.NewGuid().ToString("n");
        var update = new UpdateVmRequest
        {
            Id = row.VmUuid,
            ComposeFile = composeText,
            EncryptedEnv = plan.EncryptedEnv,
            UserConfig = plan.UserConfig,
            Vcpu = plan.Vcpu,
            Memory = plan.Memory,
            DiskSize = plan.DiskSize,
            Image = plan.Image,
        };
        var change = new CvmChange(composeText is null ? null : composeHash, plan.Vcpu, plan.Memory, plan.DiskSize, plan.Image);
        if (plan.Resources && vm.Status is not ("stopped" or "exited"))
        {
            if (!plan.AllowForceStop)
                throw ApiException.Conflict(
                    $"CVM {row.HashedId} is {vm.Status}: vcpu, memory, disk_size and image can only change while it is stopped; stop it first or send allow_force_stop: true");
            await operations.ChangeAsync(row, user.User!, change, async () =>
            {
                await power.StopAsync(row, ct);
                await WaitStoppedAsync(row, vmm, ct);
                try
                {
                    note = await UpdateVmAsync(row, vmm, vm, power, logger, update, ct);
                }
                finally
                {
                    // Started again even when the update was refused: a forced stop must not leave the CVM down.
                    await power.StartAsync(await queries.ByIdAsync(row.Id) ?? row, ct);
                }
            }, ct);
            restarting = true;
        }
        else
        {
            await operations.ChangeAsync(row, user.User!, change, async () => note = await UpdateVmAsync(row, vmm, vm, power, logger, update, ct), ct);
        }
        if (!restarting && (composeText is not null || plan.EncryptedEnv is not null || plan.UserConfig is not null))
            (correlationId, restarting) = await RestartIfRunningAsync(row, vmm, queries, power, ct);

        logger.LogInformation("CVM {Id} ({Name}): patched{Compose}{Env}{UserConfig}{Resources}{Restart}", row.Id, row.Name,
            composeText is not null ? $", compose now {composeHash}" : "", plan.EncryptedEnv is not null ? ", encrypted env replaced" : "",
            plan.UserConfig is not null ? ", user_config replaced" : "",
            plan.Resources ? $", resources vcpu={plan.Vcpu} memory={plan.Memory} disk_size={plan.DiskSize} image={plan.Image}" : "",
            restarting ? ", restarting" : "");
        return Accepted(correlationId, composeHash, restarting, note);
    }

    private static async Task<IResult> CommitUpdate(
        string cvmId, CommitCvmUpdateRequest body, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, PendingStore pending, CvmOperations operations, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var v = new Validator();
        v.Require(!string.IsNullOrWhiteSpace(body.Token), "token", "Field required", "missing");
        var hash = body.ComposeHash is null ? null : NormalizeHash(body.ComposeHash);
        if (hash is not null) v.Require(Hash64().IsMatch(hash), "compose_hash", "compose_hash must be 64 hex characters");
        v.ThrowIfInvalid();

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        var prepared = await pending.FindByTokenAsync(PendingKind.Patch, body.Token!);
        if (prepared is null || prepared.CvmId != row.Id)
            throw ApiException.NotFound($"Unknown commit token for CVM {row.HashedId}");
        if (hash is not null && hash != prepared.ComposeHash)
            throw ApiException.Conflict($"The commit token was issued for compose hash {prepared.ComposeHash}, not {hash}");
        return await ApplyPendingAsync(row, prepared, body.TransactionHash, user, queries, power, clients, operations, logger, ct);
    }

    private static async Task<IResult> ConfirmAsync(
        string cvmId, string composeHash, string transactionHash, JsonObject fields, CurrentUser user, CvmStore queries,
        CvmPower power, DstackClientFactory clients, PendingStore pending, CvmOperations operations, ILogger<CvmUpgradesModule> logger,
        CancellationToken ct)
    {
        var v = new Validator("header");
        var hash = NormalizeHash(composeHash);
        v.Require(Hash64().IsMatch(hash), "X-Compose-Hash", "X-Compose-Hash must be 64 hex characters");
        v.Require(transactionHash.Trim().Length > 0, "X-Transaction-Hash", "X-Transaction-Hash is required with X-Compose-Hash", "missing");
        v.Require(fields.Count == 0, "body", "A confirmation (X-Compose-Hash) carries no fields; send {}");
        v.ThrowIfInvalid();

        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        var prepared = await pending.FindAsync(PendingKind.Patch, UpdateKey(row, hash))
                       ?? await pending.FindAsync(PendingKind.ComposeUpdate, UpdateKey(row, hash))
                       ?? throw ApiException.NotFound($"No pending update with compose hash {hash} for CVM {row.HashedId}; PATCH it with X-Prepare-Only first");
        return await ApplyPendingAsync(row, prepared, transactionHash.Trim(), user, queries, power, clients, operations, logger, ct);
    }

    /// <summary>Writes a prepared update exactly once (claimed before the write, given back if the write fails).</summary>
    private static async Task<IResult> ApplyPendingAsync(
        CvmRow row, PendingOperation prepared, string? transactionHash, CurrentUser user, CvmStore queries, CvmPower power,
        DstackClientFactory clients, CvmOperations operations, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        ThrowIfRemoving(row);
        var (vmm, vm) = await LiveAsync(row, clients, power, ct);
        string? note = null;
        await operations.CommitUpdateAsync(prepared, row, user.User!, transactionHash, async plan => note = await UpdateVmAsync(row, vmm, vm, power, logger, new UpdateVmRequest
        {
            Id = row.VmUuid,
            ComposeFile = plan.ComposeFile,
            EncryptedEnv = plan.EncryptedEnv,
            UserConfig = plan.UserConfig,
        }, ct), ct);
        var (correlationId, restarting) = await RestartIfRunningAsync(row, vmm, queries, power, ct);
        logger.LogInformation("CVM {Id} ({Name}): prepared update {Hash} applied{Restart}", row.Id, row.Name, prepared.ComposeHash,
            restarting ? ", restarting" : "");
        return Accepted(correlationId, prepared.ComposeHash, restarting, note);
    }

    private static IResult Accepted(string correlationId, string composeHash, bool restarting, string? note = null) =>
        TypedResults.Json(
            new CvmPatchResponse(correlationId, "in_progress",
                WithNote(restarting ? "CVM updated; it is restarting with the changes" : "CVM updated; the changes take effect when it starts", note),
                composeHash, restarting),
            UpgradesJson.Default.CvmPatchResponse, statusCode: StatusCodes.Status202Accepted);

    private static PatchPlan ParsePlan(JsonObject fields)
    {
        var v = new Validator();
        var compose = new JsonObject();
        foreach (var key in ComposeFields)
            if (fields.TryGetPropertyValue(key, out var value) && value is not null) compose[key] = value.DeepClone();
        if (compose["allowed_envs"] is { } envs)
            v.Require(envs is JsonArray a && a.All(e => e is JsonValue s && s.GetValueKind() == JsonValueKind.String && EnvKey().IsMatch(s.GetValue<string>())),
                "allowed_envs", "allowed_envs must be a list of environment variable names");

        string? env = null;
        if (Text(v, fields, "encrypted_env") is { } rawEnv) env = NormalizeEnv(v, rawEnv, required: true);
        var userConfig = Text(v, fields, "user_config");
        var vcpu = Int(v, fields, "vcpu", 1, 256, "vcpu must be between 1 and 256");
        var memory = Int(v, fields, "memory", 512, 4 * 1024 * 1024, "memory (MB) must be between 512 and 4194304");
        var disk = Int(v, fields, "disk_size", 1, 64 * 1024, "disk_size (GB) must be between 1 and 65536");
        var image = Text(v, fields, "image");
        if (image is not null) v.Require(image.Trim().Length > 0, "image", "image must not be empty");
        v.Require(fields["gpus"] is null, "gpus", "GPU changes are not supported by Teehouse Lite");
        if (fields["shutdown_timeout"] is { } timeout)
            v.Require(timeout.GetValueKind() == JsonValueKind.Number, "shutdown_timeout", "Input should be a valid number", "float_type");
        var force = fields["allow_force_stop"];
        if (force is not null)
            v.Require(force.GetValueKind() is JsonValueKind.True or JsonValueKind.False, "allow_force_stop", "Input should be a valid boolean", "bool_type");
        v.ThrowIfInvalid();

        var plan = new PatchPlan(compose, env, userConfig, vcpu, memory, disk, image?.Trim(), force?.GetValueKind() == JsonValueKind.True);
        if (plan.Empty) throw ValidationException.For("body", "body", "Nothing to update: send at least one field to change");
        return plan;

        static string? Text(Validator v, JsonObject o, string key)
        {
            if (o[key] is not { } node) return null;
            var ok = node.GetValueKind() == JsonValueKind.String;
            v.Require(ok, key, "Input should be a valid string", "string_type");
            return ok ? node.GetValue<string>() : null;
        }

        static int? Int(Validator v, JsonObject o, string key, int min, int max, string message)
        {
            if (o[key] is not { } node) return null;
            if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<int>(out var n))
            {
                if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
                    n = (int)d;
                else
                {
                    v.Require(false, key, "Input should be a valid integer", "int_type");
                    return null;
                }
            }
            v.Require(n >= min && n <= max, key, message);
            return n;
        }
    }

    /// <summary>StopVm is a hard stop, but the vmm reports it asynchronously: resizing needs it stopped.</summary>
    private static async Task WaitStoppedAsync(CvmRow row, VmmClient vmm, CancellationToken ct)
    {
        for (var i = 0; i < 150; i++)
        {
            var vm = await vmm.GetInfoAsync(row.VmUuid, ct);
            if (vm is null || vm.Status is "stopped" or "exited") return;
            await Task.Delay(200, ct);
        }
        throw ApiException.GatewayTimeout($"CVM {row.HashedId} did not stop in time for the resize");
    }

    /// <summary>
    /// HTTP 465 as <c>patchCvm</c> reads it: its schema wants device_id as a string (empty here: no on-chain device
    /// allow-list) and a full kms_info (the CVM's KMS, else the first configured one).
    /// </summary>
    private static IResult PatchPrecondition(string composeHash, string appId, KmsInfo? kms, string commitToken, string commitUrl) =>
        Precondition.Prepared(
            $"CVM update prepared; commit it with the commit_token (valid for {PendingLifetime.Default.TotalMinutes:0} minutes)",
            composeHash, appId, JsonValue.Create(""), kms is null ? null : JsonSerializer.SerializeToNode(kms, SharedJson.Default.KmsInfo),
            commitToken, commitUrl);
}
