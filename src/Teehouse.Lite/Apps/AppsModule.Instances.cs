using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text.RegularExpressions;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Apps;

/// <summary>
/// POST /apps/{app_id}/instances: a new instance of an app the caller owns (admins: any app). Without <c>token</c>:
/// reads the compose a live instance runs, places the instance and prepares it as a pending operation; then either
/// commits it at once or (with <c>X-Prepare-Only</c>) answers 465 with a single-use commit token. With <c>token</c>:
/// commits exactly what was prepared, once. Another user's app is 404, as if it did not exist.
/// </summary>
public sealed partial class AppsModule
{
    private static async Task<IResult> CreateInstance(
        string appId, CreateAppInstanceRequest? body, HttpRequest http, CurrentUser current, CvmStore cvms,
        TeepodStore teepods, Quota quota, PendingStore pending, CvmOperations operations, DstackClientFactory clients,
        KmsCatalog kmsCatalog, ILogger<AppsModule> logger, CancellationToken ct)
    {
        body ??= new CreateAppInstanceRequest(null, null, null, null, null, null, null, null);
        var v = new Validator();
        var encryptedEnv = NormalizeEnv(v, body.EncryptedEnv);
        var composeHash = NormalizeHash(v, body.ComposeHash);
        v.Require(body.NodeId is null || body.TeepodId is null || body.NodeId == body.TeepodId, "node_id",
            "node_id and teepod_id name different nodes");
        v.Require(body.DockerComposeFile is null || !string.IsNullOrWhiteSpace(body.DockerComposeFile), "docker_compose_file",
            "docker_compose_file must not be empty");
        v.Require(body.Token is null || !string.IsNullOrWhiteSpace(body.Token), "token", "token must not be empty");
        v.ThrowIfInvalid();
        if (!AppIds.TryNormalize(appId, out var id)) throw ApiException.NotFound($"App {appId} not found");
        var user = current.User!;
        // Acting as an app is being it (KMS keys, gateway routes): only its owner may; others are told nothing about it.
        if (!user.IsAdmin && await cvms.OwnershipAsync(id, user.Id) != AppOwnership.Own) throw ApiException.NotFound($"App {id} not found");
        var nodeId = body.NodeId ?? body.TeepodId;

        if (body.Token is { } token)
        {
            var prepared = await pending.FindByTokenAsync(PendingKind.Instance, token);
            if (prepared is null || prepared.UserId != user.Id || prepared.AppId != id) throw ApiException.NotFound("Commit token not found");
            if (composeHash is not null && composeHash != prepared.ComposeHash)
                throw ApiException.Conflict($"compose_hash {composeHash} is not the prepared compose ({prepared.ComposeHash})");
            if (nodeId is not null && nodeId != prepared.TeepodId)
                throw ApiException.Conflict($"node_id {nodeId} is not the prepared node ({prepared.TeepodId})");
            var committed = await operations.CommitCreationAsync(prepared, user, encryptedEnv, body.TransactionHash, ct);
            if (committed.Repeated) throw ApiException.Conflict("This commit token was used already; prepare the instance again");
            return TypedResults.Json(CvmMapper.ToVm(committed.Row, committed.Live), CvmsJson.Default.CvmVmResponse);
        }

        var rows = (await cvms.ForAppAsync(user.IsAdmin ? CvmScope.Everyone : new CvmScope(user.Id), id))
            .Where(r => r.Status != CvmStatus.Removing).ToList();
        if (rows.Count == 0) throw ApiException.NotFound($"App {id} not found");
        var live = await LiveComposesAsync(rows, clients, logger, ct);
        if (live.Count == 0) throw ApiException.BadGateway($"No node running app {id} answered; its compose cannot be read");

        var rebuild = body.DockerComposeFile is not null || body.PreLaunchScript is not null;
        var distinct = live.GroupBy(l => AppComposeJson.Hash(l.Config.ComposeFile)).Select(g => g.First()).ToList();
        var source = distinct.FirstOrDefault(l => AppComposeJson.Hash(l.Config.ComposeFile) == composeHash)
                     ?? (distinct.Count == 1 || (rebuild && composeHash is not null) ? distinct[0] : null);
        if (source is null)
        {
            var hashes = string.Join(", ", distinct.Select(l => AppComposeJson.Hash(l.Config.ComposeFile)));
            throw ValidationException.For("body", "compose_hash", composeHash is null
                ? $"The instances of app {id} run different composes ({hashes}); say which with compose_hash"
                : $"No live instance of app {id} runs compose {composeHash}; they run {hashes}");
        }

        var composeText = rebuild ? Rebuild(source, body) : source.Config.ComposeFile;
        var usedHash = AppComposeJson.Hash(composeText);
        if (composeHash is not null && composeHash != usedHash)
            throw ValidationException.For("body", "compose_hash", $"compose_hash {composeHash} does not match the compose to deploy ({usedHash})");

        var config0 = source.Config;
        var enabled = await teepods.ListAsync(includeDisabled: false);
        var placement = Placement.Choose(enabled,
            new PlacementRequest(nodeId, null, config0.Image, config0.Vcpu, config0.Memory, user.IsAdmin));
        await quota.EnsureAllowedAsync(user, new QuotaRequest(1, config0.Vcpu, config0.Memory, config0.DiskSize));

        var prepareOnly = PrepareOnly.IsRequested(http);
        var commitToken = prepareOnly ? CommitTokens.New() : null;
        var now = DateTime.UtcNow;
        var op = await pending.SaveAsync(new PendingOperation
        {
            Kind = PendingKind.Instance,
            LookupKey = commitToken is null ? $"direct:{Guid.NewGuid():N}" : $"token:{CommitTokens.HashOf(commitToken)}",
            TokenHash = commitToken is null ? null : CommitTokens.HashOf(commitToken),
            UserId = user.Id,
            AppId = id,
            TeepodId = placement.Teepod.Id,
            ComposeHash = usedHash,
            Payload = CvmOperations.SerializePlan(new CreationPlan(
                rows[0].Name, placement.Image, composeText, rows[0].Listed, encryptedEnv ?? config0.EncryptedEnv, null, null,
                // The app's instances share one identity, so one KMS and gateway: the ones its newest instance was given.
                KmsUrls: config0.KmsUrls.Count > 0 ? config0.KmsUrls : null,
                GatewayUrls: config0.GatewayUrls.Count > 0 ? config0.GatewayUrls : null)),
            Vcpu = config0.Vcpu,
            Memory = config0.Memory,
            DiskSize = config0.DiskSize,
            CreatedAt = Clock.ToText(now),
            ExpiresAt = Clock.ToText(now + PendingLifetime.Default),
        }) ?? throw new InvalidOperationException("a fresh pending operation collided with an existing one");

        if (commitToken is not null)
        {
            var kmsList = kmsCatalog.ListFor(enabled);
            var kms = HostedCvmMapper.PickKms(config0.KmsUrls, kmsList)
                      ?? kmsList.FirstOrDefault(k => placement.Teepod.KmsUrl is { } url && TeepodProbe.SameUrl(k.Url, url))
                      ?? kmsList.FirstOrDefault();
            var commitUrl = $"{http.Scheme}://{http.Host}{http.PathBase}/api/v1/apps/{id}/instances";
            return Precondition.Prepared(
                $"Instance of app {id} prepared; commit it with the commit_token (valid for {PendingLifetime.Default.TotalMinutes:0} minutes)",
                usedHash, id, deviceId: null, kms is null ? null : JsonSerializer.SerializeToNode(kms, SharedJson.Default.KmsInfo),
                commitToken, commitUrl);
        }

        var created = await operations.CommitCreationAsync(op, user, null, null, ct);
        return TypedResults.Json(CvmMapper.ToVm(created.Row, created.Live), CvmsJson.Default.CvmVmResponse);
    }

    /// <summary>The configuration each instance's vmm reports, newest instance first; instances that cannot be asked are skipped.</summary>
    private static async Task<List<LiveInstance>> LiveComposesAsync(
        List<CvmRow> rows, DstackClientFactory clients, ILogger logger, CancellationToken ct)
    {
        var live = new List<LiveInstance>();
        foreach (var row in rows)
        {
            if (row.TeepodStatus == TeepodStatus.Offline) continue;
            try
            {
                var info = await clients.VmmOf(row).GetInfoAsync(row.VmUuid, ct);
                if (info?.Configuration is { ComposeFile.Length: > 0 } c) live.Add(new LiveInstance(row, c));
            }
            catch (DstackException e)
            {
                logger.LogDebug("CVM {Id}: teepod {Teepod} did not answer GetInfo: {Detail}", row.Id, row.TeepodId, e.FullDetail);
            }
        }
        return live;
    }

    /// <summary>The source compose with the new docker_compose_file / pre_launch_script, in the SDK's canonical bytes.</summary>
    private static string Rebuild(LiveInstance source, CreateAppInstanceRequest body)
    {
        JsonObject? compose;
        try
        {
            compose = JsonNode.Parse(source.Config.ComposeFile) as JsonObject;
        }
        catch (JsonException)
        {
            compose = null;
        }
        if (compose is null)
            throw ApiException.Conflict($"The app-compose.json of CVM {source.Row.HashedId} is not a JSON object; it cannot be rebuilt");
        if (body.DockerComposeFile is not null) compose["docker_compose_file"] = body.DockerComposeFile;
        if (body.PreLaunchScript is not null) compose["pre_launch_script"] = body.PreLaunchScript;
        var v = new Validator();
        AppComposeBuilder.Validate(compose, v);
        v.ThrowIfInvalid();
        return AppComposeJson.Dump(AppComposeJson.Preprocess(AppComposeBuilder.Build(compose, source.Row.Name)));
    }

    private static string? NormalizeEnv(Validator v, string? text)
    {
        if (text is null) return null;
        var env = text.Trim();
        if (env.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) env = env[2..];
        v.Require(env.Length % 2 == 0 && Hex().IsMatch(env), "encrypted_env", "encrypted_env must be hex");
        return env.ToLowerInvariant();
    }

    private static string? NormalizeHash(Validator v, string? text)
    {
        if (text is null) return null;
        var hash = text.Trim().ToLowerInvariant();
        if (hash.StartsWith("0x", StringComparison.Ordinal)) hash = hash[2..];
        v.Require(hash.Length == 64 && Hex().IsMatch(hash), "compose_hash", "compose_hash must be 64 hex characters");
        return hash;
    }

    private sealed record LiveInstance(CvmRow Row, VmConfiguration Config);

    [GeneratedRegex("^[0-9a-fA-F]*$")]
    private static partial Regex Hex();
}
