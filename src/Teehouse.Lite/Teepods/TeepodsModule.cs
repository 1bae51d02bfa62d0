using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Teepods;

/// <summary>The teepod half of seeds/000: register, probe, list, inspect and update dstack-vmm hosts.</summary>
public sealed class TeepodsModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/teepods").RequireAuthorization();
        group.MapGet("/", List);
        group.MapGet("/available", TeepodAvailability.Get);
        group.MapPost("/", Register).RequireAuthorization(Policies.Admin);
        group.MapPost("/preflight", Preflight).RequireAuthorization(Policies.Admin);
        group.MapMissing("GET", "/cvm-create-resources");
        group.MapGet("/{teepodId}", Get).RequireAuthorization(Policies.Admin);
        group.MapPut("/{teepodId}", Update).RequireAuthorization(Policies.Admin);
    }

    /// <summary>Users see the enabled teepods, admins every one: each list serialised once per change of the table.</summary>
    private static async Task<IResult> List(TeepodReadModels models, CurrentUser user)
    {
        var model = await models.CurrentAsync();
        return new JsonBytes(user.IsAdmin ? model.AdminListJson : model.UserListJson);
    }

    private static async Task<IResult> Get(long teepodId, TeepodReadModels models)
    {
        var teepod = (await models.CurrentAsync()).Find(teepodId) ?? throw ApiException.NotFound($"Teepod {teepodId} not found");
        return new JsonBytes(teepod.AdminJson);
    }

    /// <summary>
    /// Probes the dstack-vmm (and the KMS and gateway when named) before anything is stored: an unreachable host is a
    /// 502/504 and leaves no row behind.
    /// </summary>
    private static async Task<IResult> Register(
        RegisterTeepodRequest request, TeepodStore store, TeepodReadModels models, TeepodProbe probe, ILogger<TeepodsModule> logger,
        CancellationToken ct)
    {
        TeepodValidation.Validate(request);
        var name = request.Name!;
        var endpoint = TeepodValidation.NormalizeEndpoint(request.Endpoint!);
        await ThrowIfTakenAsync(store, name, endpoint);

        var snapshot = await probe.SnapshotAsync(endpoint, TeepodValidation.CredentialsOf(request), ct, label: TeepodClients.Label(name));
        var kmsUrl = request.KmsEndpoint?.Trim().TrimEnd('/') ?? snapshot.Meta.Kms?.Url;
        var kms = kmsUrl is null ? null : await probe.KmsAsync(kmsUrl, required: request.KmsEndpoint is not null, ct);
        var gatewayUrl = request.TproxyEndpoint?.Trim().TrimEnd('/') ?? snapshot.Meta.Gateway?.Url;
        var gateway = request.TproxyEndpoint is null ? null : await probe.GatewayAsync(gatewayUrl!, ct);

        var now = Clock.NowText();
        var record = new TeepodRecord
        {
            Name = name,
            Endpoint = endpoint,
            AuthToken = request.AuthToken,
            AuthUsername = request.AuthUsername,
            AuthPassword = request.AuthPassword,
            RegionIdentifier = request.RegionIdentifier,
            KmsEndpoint = request.KmsEndpoint,
            KmsUrl = kms?.Url,
            KmsVersion = kms?.Version,
            KmsCaCertPem = kms?.CaCertPem,
            TproxyEndpoint = request.TproxyEndpoint,
            TproxyUrl = gatewayUrl,
            TproxyVersion = gateway?.Version,
            TproxyBaseDomain = request.TproxyBaseDomain ?? NullIfEmpty(gateway?.BaseDomain) ?? NullIfEmpty(snapshot.Meta.Gateway?.BaseDomain),
            TproxyPort = request.TproxyPort ?? (long?)gateway?.ExternalPort ?? snapshot.Meta.Gateway?.Port,
            TproxyTappdPort = request.TproxyTappdPort ?? snapshot.Meta.Gateway?.AgentPort,
            TeepodVersion = snapshot.Version,
            MaxCvmNumber = snapshot.MaxCvmNumber,
            MaxAllocableVcpu = snapshot.MaxAllocableVcpu,
            MaxAllocableMemoryInMb = snapshot.MaxAllocableMemoryInMb,
            Status = TeepodStatus.Online,
            Enabled = true,
            Listed = request.Listed ?? true,
            VmCount = snapshot.Use.VmCount,
            UsedVcpu = snapshot.Use.Vcpu,
            UsedMemoryMb = snapshot.Use.MemoryMb,
            ImagesJson = snapshot.ImagesJson,
            LastPingAt = now,
            LastSeenAt = now,
            CreatedAt = now,
        };
        var stored = await store.InsertAsync(record);
        if (stored is null) await ThrowIfTakenAsync(store, name, endpoint);
        logger.LogInformation("Registered teepod {Id} ({Name}) at {Endpoint}: dstack-vmm {Version}, {Vms} VMs",
            stored!.Id, stored.Name, stored.Endpoint, stored.TeepodVersion, stored.VmCount);
        return await WrittenAsync(models, stored.Id) ?? TypedResults.Json(TeepodMapping.ToResponse(stored, isAdmin: true), TeepodsJson.Default.TeepodResponse);
    }

    /// <summary>The registration probe without storing anything: 204 when the host is usable.</summary>
    private static async Task<IResult> Preflight(string? endpoint, TeepodProbe probe, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) throw ValidationException.For("query", "endpoint", "Field required", "missing");
        var normalized = TeepodValidation.NormalizeEndpoint(endpoint);
        if (!Infrastructure.Dstack.DstackClientFactory.TryValidateEndpoint(normalized, out var why))
            throw ValidationException.For("query", "endpoint", $"Invalid dstack-vmm endpoint: {why}");
        var snapshot = await probe.SnapshotAsync(normalized, credentials: null, ct);
        if (snapshot.Images.Count == 0)
            throw ApiException.Conflict($"Teepod {normalized} answers (dstack-vmm {snapshot.Version}) but offers no guest OS images");
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Update(long teepodId, UpdateTeepodRequest request, TeepodStore store, TeepodReadModels models)
    {
        TeepodValidation.Validate(request);
        var current = await store.FindAsync(teepodId) ?? throw ApiException.NotFound($"Teepod {teepodId} not found");
        if (request.Name is not null && await store.FindConflictAsync(request.Name, null, exceptId: current.Id) is { } other)
            throw ApiException.Conflict($"Teepod {other.Id} is already named '{other.Name}'");
        // New credentials are stored without a probe, so an operator can rotate on either side first; the next request
        // (and the next ping, which records a refusal as last_error) uses them.
        var auth = TeepodValidation.CredentialsAfter(request, current);
        if (!await store.UpdateAsync(teepodId, request.Name, request.Enabled, request.Listed, request.RegionIdentifier,
                auth is not null, auth?.Token, auth?.Username, auth?.Password))
            throw ApiException.Conflict($"A teepod named '{request.Name}' already exists");
        return await WrittenAsync(models, teepodId) ?? throw ApiException.NotFound($"Teepod {teepodId} not found");
    }

    /// <summary>
    /// The teepod just written, as the read model has it: the model is rebuilt here, on the write, so the reads after
    /// it find it built. Null when the row is gone again (another connection deleted it in between).
    /// </summary>
    private static async Task<IResult?> WrittenAsync(TeepodReadModels models, long id) =>
        (await models.CurrentAsync()).Find(id) is { } view ? new JsonBytes(view.AdminJson) : null;

    private static async Task ThrowIfTakenAsync(TeepodStore store, string name, string endpoint)
    {
        var conflict = await store.FindConflictAsync(name, endpoint);
        if (conflict is null) return;
        throw ApiException.Conflict(conflict.Endpoint == endpoint
            ? $"Teepod {conflict.Id} ('{conflict.Name}') is already registered at {endpoint}"
            : $"A teepod named '{conflict.Name}' already exists (id {conflict.Id})");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
