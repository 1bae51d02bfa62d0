using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Kms;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Apps;

/// <summary>
/// Apps: a user's CVMs grouped by app_id (an admin's: everyone's; gone CVMs never count). Lists and inspects them, and
/// adds an instance to an app: same app id, the exact app-compose bytes a live instance runs (or that compose with a
/// new docker_compose_file / pre_launch_script), directly or in two phases (prepare-only → HTTP 465 with a commit
/// token, then a commit with that token).
/// </summary>
public sealed partial class AppsModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;
    public const string PrepareOnlyHeader = "X-Prepare-Only";
    public const int PreconditionRequired = 465;

    /// <summary>Most CVM rows one request reads; apps are grouped from them in memory.</summary>
    private const int MaxRows = 100_000;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/apps").RequireAuthorization();
        group.MapGet("/", List);
        group.MapGet("/{appId}", Get);
        group.MapGet("/{appId}/cvms", Cvms);
        group.MapPost("/{appId}/instances", CreateInstance);
    }

    /// <summary>
    /// Newest app first (by its newest CVM). Filters: <c>search</c> (part of a CVM name or of the app id),
    /// <c>status</c> (repeatable: an app with a CVM in one of them), <c>listed</c>; the SDK's other filters are ignored.
    /// </summary>
    private static async Task<IResult> List(
        HttpRequest request, string? page, [FromQuery(Name = "page_size")] string? pageSize, string? search, string? listed,
        CurrentUser user, CvmQueries queries)
    {
        var v = new Validator("query");
        var pageNo = ParseInt(v, "page", page, 1, int.MaxValue, 1);
        var size = ParseInt(v, "page_size", pageSize, 1, MaxPageSize, DefaultPageSize);
        bool? listedOnly = null;
        if (!string.IsNullOrWhiteSpace(listed))
        {
            var ok = bool.TryParse(listed.Trim(), out var flag);
            v.Require(ok, "listed", "Input should be a valid boolean", "bool_parsing");
            if (ok) listedOnly = flag;
        }
        v.ThrowIfInvalid();
        var statuses = request.Query["status"].Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()).ToHashSet();

        var apps = Group(await VisibleRowsAsync(user, queries))
            .Where(a => string.IsNullOrWhiteSpace(search) || a.AppId.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
                        || a.Rows.Any(r => r.Name.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)))
            .Where(a => statuses.Count == 0 || a.Rows.Any(r => statuses.Contains(r.Status)))
            .Where(a => listedOnly is not { } l || a.Rows.Any(r => r.Listed == l))
            .ToList();
        var pageOf = apps.Skip((int)Math.Min(int.MaxValue, (long)(pageNo - 1) * size)).Take(size).ToList();
        var pages = (apps.Count + size - 1) / size;
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(new AppPageV20251028([.. pageOf.Select(a => ToAppV20251028(a.AppId, a.Rows))], pageNo, size, apps.Count, pages),
                AppJsonContext.Default.AppPageV20251028)
            : TypedResults.Json(new AppPageV20260121([.. pageOf.Select(a => ToApp(a.AppId, a.Rows))], pageNo, size, apps.Count, pages),
                AppJsonContext.Default.AppPageV20260121);
    }

    private static async Task<IResult> Get(string appId, HttpRequest request, CurrentUser user, CvmQueries queries)
    {
        var (id, rows) = await AppAsync(appId, user, queries);
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(ToAppV20251028(id, rows), AppJsonContext.Default.AppV20251028)
            : TypedResults.Json(ToApp(id, rows), AppJsonContext.Default.AppV20260121);
    }

    /// <summary>A bare array in the <c>X-Phala-Version</c> shape of the CVM list's items.</summary>
    private static async Task<IResult> Cvms(string appId, HttpRequest request, CurrentUser user, CvmQueries queries)
    {
        var (_, rows) = await AppAsync(appId, user, queries);
        return ApiVersion.Of(request) == ApiVersion.V20251028
            ? TypedResults.Json(rows.Select(CvmMapper.ToV20251028).ToList(), AppJsonContext.Default.ListCvmInfoV20251028)
            : TypedResults.Json(rows.Select(r => CvmMapper.ToV20260121(r)).ToList(), AppJsonContext.Default.ListCvmInfoV20260121);
    }

    /// <summary>
    /// A new instance of an app the caller has. Without <c>token</c>: reads the compose a live instance runs, places
    /// the instance and either creates it or (with <c>X-Prepare-Only: true</c>) stores the plan and answers 465 with a
    /// commit token. With <c>token</c>: creates exactly the stored plan, once.
    /// </summary>
    private static async Task<IResult> CreateInstance(
        string appId, CreateAppInstanceRequest? body, HttpRequest http, CurrentUser current, CvmQueries queries,
        TeepodStore teepods, Quota quota, AppCommitTokens tokens, DstackClientFactory clients, TeehouseConfig config,
        ILogger<AppsModule> logger, CancellationToken ct)
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
        var nodeId = body.NodeId ?? body.TeepodId;

        if (body.Token is { } token)
        {
            var t = await tokens.FindAsync(token);
            if (t is null || t.UserId != user.Id || t.AppId != id) throw ApiException.NotFound("Commit token not found");
            if (t.UsedAt is not null) throw ApiException.Conflict("This commit token was used already; prepare the instance again");
            if (string.CompareOrdinal(t.ExpiresAt, Clock.NowText()) < 0)
                throw ApiException.Conflict($"This commit token expired at {t.ExpiresAt}; prepare the instance again");
            if (composeHash is not null && composeHash != t.ComposeHash)
                throw ApiException.Conflict($"compose_hash {composeHash} is not the prepared compose ({t.ComposeHash})");
            if (nodeId is not null && nodeId != t.TeepodId)
                throw ApiException.Conflict($"node_id {nodeId} is not the prepared node ({t.TeepodId})");
            var prepared = AppInstancePlan.From(t);
            if (encryptedEnv is not null) prepared = prepared with { EncryptedEnv = encryptedEnv };
            await quota.EnsureAllowedAsync(user, (int)prepared.Vcpu, (int)prepared.Memory, (int)prepared.DiskSize);
            if (!await tokens.ClaimAsync(t.Id, body.TransactionHash, Clock.NowText()))
                throw ApiException.Conflict("This commit token was used already; prepare the instance again");
            var (vmId, teepod, vmm) = await CreateVmAsync(prepared, teepods, clients, ct, onFailure: () => tokens.ReleaseAsync(t.Id));
            var created = await RecordAsync(prepared, user.Id, vmId, vmm, tokens, queries, ct);
            await tokens.LinkAsync(t.Id, created.Row.Id);
            logger.LogInformation("User {User} committed a new instance of app {App} as CVM {Cvm} on teepod {Teepod} (VM {Vm})",
                user.Username, id, created.Row.Id, teepod.Id, vmId);
            return TypedResults.Json(CvmMapper.ToVm(created.Row, created.Live), AppJsonContext.Default.CvmVmResponse);
        }

        var rows = (await VisibleRowsAsync(current, queries)).Where(r => r.AppId == id && r.Status != "removing").ToList();
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
        var placement = Placement.Choose(await teepods.ListAsync(includeDisabled: false),
            new PlacementRequest(nodeId, null, config0.Image, config0.Vcpu, config0.Memory, user.IsAdmin));
        await quota.EnsureAllowedAsync(user, config0.Vcpu, config0.Memory, config0.DiskSize);
        var plan = new AppInstancePlan(id, placement.Teepod.Id, usedHash, composeText, rows[0].Name, placement.Image,
            config0.Vcpu, config0.Memory, config0.DiskSize, rows[0].Listed, encryptedEnv ?? config0.EncryptedEnv);

        if (IsPrepareOnly(http))
        {
            var commitToken = AppCommitTokens.NewToken();
            var now = DateTime.UtcNow;
            await tokens.SaveAsync(new AppCommitTokenRecord
            {
                TokenHash = AppCommitTokens.HashOf(commitToken),
                UserId = user.Id,
                AppId = plan.AppId,
                TeepodId = plan.TeepodId,
                ComposeHash = plan.ComposeHash,
                ComposeFile = plan.ComposeFile,
                Name = plan.Name,
                Image = plan.Image,
                Vcpu = plan.Vcpu,
                Memory = plan.Memory,
                DiskSize = plan.DiskSize,
                Listed = plan.Listed,
                EncryptedEnv = plan.EncryptedEnv,
                CreatedAt = Clock.ToText(now),
                ExpiresAt = Clock.ToText(now + AppCommitTokens.Lifetime),
            });
            var kmsList = config.Kms.Select(KmsInfo.From).ToList();
            var kms = HostedCvmMapper.PickKms(config0.KmsUrls, kmsList)
                      ?? kmsList.FirstOrDefault(k => placement.Teepod.KmsUrl is { } url && TeepodProbe.SameUrl(k.Url, url))
                      ?? kmsList.FirstOrDefault();
            var commitUrl = $"{http.Scheme}://{http.Host}{http.PathBase}/api/v1/apps/{id}/instances";
            return Precondition(plan, kms, commitToken, commitUrl);
        }

        var (newVmId, target, client) = await CreateVmAsync(plan, teepods, clients, ct, onFailure: null);
        var result = await RecordAsync(plan, user.Id, newVmId, client, tokens, queries, ct);
        logger.LogInformation("User {User} added an instance of app {App} as CVM {Cvm} on teepod {Teepod} (VM {Vm})",
            user.Username, id, result.Row.Id, target.Id, newVmId);
        return TypedResults.Json(CvmMapper.ToVm(result.Row, result.Live), AppJsonContext.Default.CvmVmResponse);
    }

    /// <summary>465 with the SDK's <c>detail.details</c> field list; the token is shown this once.</summary>
    private static IResult Precondition(AppInstancePlan plan, KmsInfo? kms, string commitToken, string commitUrl)
    {
        var onchain = JsonSerializer.SerializeToNode(new OnchainStatus(true, true, true), AppJsonContext.Default.OnchainStatus);
        var detail = new PreconditionDetail(
            $"Instance of app {plan.AppId} prepared; commit it with the commit_token (valid for {AppCommitTokens.Lifetime.TotalMinutes:0} minutes)",
            [
                new("compose_hash", JsonValue.Create(plan.ComposeHash)),
                new("app_id", JsonValue.Create(plan.AppId)),
                new("device_id", null),
                new("kms_info", kms is null ? null : JsonSerializer.SerializeToNode(kms, AppJsonContext.Default.KmsInfo)),
                new("commit_token", JsonValue.Create(commitToken)),
                new("commit_url", JsonValue.Create(commitUrl)),
                new("api_commit_url", JsonValue.Create(commitUrl)),
                new("onchain_status", onchain),
            ]);
        return TypedResults.Json(new PreconditionRequiredResponse(detail), AppJsonContext.Default.PreconditionRequiredResponse,
            statusCode: PreconditionRequired);
    }

    private static async Task<(string VmId, TeepodRecord Teepod, VmmClient Vmm)> CreateVmAsync(
        AppInstancePlan plan, TeepodStore teepods, DstackClientFactory clients, CancellationToken ct, Func<Task>? onFailure)
    {
        try
        {
            var teepod = await teepods.FindAsync(plan.TeepodId) ?? throw ApiException.NotFound($"Teepod {plan.TeepodId} not found");
            var vmm = clients.Vmm(teepod.Endpoint, teepod.AuthToken);
            var vmId = await vmm.CreateVmAsync(new VmConfiguration
            {
                Name = plan.Name,
                Image = plan.Image,
                ComposeFile = plan.ComposeFile,
                Vcpu = (int)plan.Vcpu,
                Memory = (int)plan.Memory,
                DiskSize = (int)plan.DiskSize,
                EncryptedEnv = plan.EncryptedEnv,
                AppId = plan.AppId,
            }, ct);
            return (vmId, teepod, vmm);
        }
        catch when (onFailure is not null)
        {
            await onFailure();
            throw;
        }
    }

    private static async Task<(CvmRow Row, VmInfo? Live)> RecordAsync(
        AppInstancePlan plan, long userId, string vmId, VmmClient vmm, AppCommitTokens tokens, CvmQueries queries, CancellationToken ct)
    {
        VmInfo? info = null;
        try
        {
            info = await vmm.GetInfoAsync(vmId, ct);
        }
        catch (DstackException)
        {
            // Created but not readable right now: the row starts from the plan, the pinger catches up.
        }
        var cvmId = await tokens.InsertCvmAsync(plan, userId, vmId, info, Clock.NowText());
        var row = await queries.ByIdAsync(cvmId) ?? throw ApiException.NotFound($"CVM {cvmId} not found");
        return (row, info);
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
                var info = await clients.Vmm(row.TeepodEndpoint, row.TeepodAuthToken).GetInfoAsync(row.VmUuid, ct);
                if (info?.Configuration is { ComposeFile.Length: > 0 } c) live.Add(new LiveInstance(row, c));
            }
            catch (DstackException e)
            {
                logger.LogDebug("CVM {Id}: teepod {Teepod} did not answer GetInfo: {Detail}", row.Id, row.TeepodId, e.Message);
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

    private static bool IsPrepareOnly(HttpRequest http) =>
        http.Headers[PrepareOnlyHeader].ToString().Trim() is { } value
        && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    private static AppV20260121 ToApp(string appId, List<CvmRow> rows)
    {
        var infos = rows.Select(r => CvmMapper.ToV20260121(r)).ToList();
        var oldest = rows.MinBy(r => r.CreatedAt, StringComparer.Ordinal)!;
        return new AppV20260121(appId, rows[0].Name, appId, oldest.CreatedAt, "phala", null, null, null, infos[0], infos, infos.Count);
    }

    private static AppV20251028 ToAppV20251028(string appId, List<CvmRow> rows)
    {
        var cvms = rows.Select(ToBasic).ToList();
        var oldest = rows.MinBy(r => r.CreatedAt, StringComparer.Ordinal)!;
        return new AppV20251028(appId, rows[0].Name, appId, oldest.CreatedAt, "phala", null, null, null, cvms[0], cvms, cvms.Count);
    }

    private static CvmBasicInfoV20251028 ToBasic(CvmRow r) => new(
        r.VmUuid, r.AppId, r.Name, r.Status, r.Vcpu ?? 0, r.Memory ?? 0, r.DiskSize ?? 0, r.TeepodId, r.TeepodName, r.TeepodRegion,
        KmsType: null, InstanceType: null, r.Listed, r.Image, KmsSlug: null, KmsId: null, r.InstanceId,
        r.Vcpu is { } v && r.Memory is { } m && r.DiskSize is { } d ? new CvmMachineInfo(v, m, d, 0) : null, r.UpdatedAt);

    /// <summary>Apps in order of their newest CVM (rows arrive newest first), each with its rows newest first.</summary>
    private static IEnumerable<(string AppId, List<CvmRow> Rows)> Group(List<CvmRow> rows) =>
        rows.GroupBy(r => r.AppId, StringComparer.Ordinal).Select(g => (g.Key, g.ToList()));

    private static async Task<(string AppId, List<CvmRow> Rows)> AppAsync(string appId, CurrentUser user, CvmQueries queries)
    {
        if (!AppIds.TryNormalize(appId, out var id)) throw ApiException.NotFound($"App {appId} not found");
        var rows = (await VisibleRowsAsync(user, queries)).Where(r => r.AppId == id).ToList();
        return rows.Count == 0 ? throw ApiException.NotFound($"App {id} not found") : (id, rows);
    }

    private static async Task<List<CvmRow>> VisibleRowsAsync(CurrentUser user, CvmQueries queries) =>
        (await queries.PageAsync(user.IsAdmin ? CvmScope.Everyone : new CvmScope(user.Id), null, null, 1, MaxRows)).Items;

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

    private static int ParseInt(Validator v, string name, string? text, int min, int max, int fallback)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        var ok = int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value);
        v.Require(ok, name, "Input should be a valid integer", "int_parsing");
        if (!ok) return fallback;
        v.Require(value >= min, name, $"Input should be greater than or equal to {min}", "greater_than_equal");
        v.Require(value <= max, name, $"Input should be less than or equal to {max}", "less_than_equal");
        return value;
    }

    private sealed record LiveInstance(CvmRow Row, VmConfiguration Config);

    [GeneratedRegex("^[0-9a-fA-F]*$")]
    private static partial Regex Hex();
}
