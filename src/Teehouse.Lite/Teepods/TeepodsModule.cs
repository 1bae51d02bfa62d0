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
        group.MapGet("/", List).Produces<List<TeepodResponse>>();
        group.MapGet("/available", TeepodAvailability.Get).Produces<TierCapacity>();
        group.MapPost("/", Register).RequireAuthorization(Policies.Admin).Produces<TeepodResponse>();
        group.MapPost("/preflight", Preflight).RequireAuthorization(Policies.Admin).Produces(StatusCodes.Status204NoContent);
        group.MapMissing("GET", "/cvm-create-resources");
        group.MapGet("/{teepodId}", Get).RequireAuthorization(Policies.Admin).Produces<TeepodResponse>();
        group.MapPut("/{teepodId}", Update).RequireAuthorization(Policies.Admin).Produces<TeepodResponse>();
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
        var stored = await new TeepodRegistration(store, probe).RegisterAsync(request, ct);
        logger.LogInformation("Registered teepod {Id} ({Name}) at {Endpoint}: dstack-vmm {Version}, {Vms} VMs",
            stored.Id, stored.Name, stored.Endpoint, stored.TeepodVersion, stored.VmCount);
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
}
