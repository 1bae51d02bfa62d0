using System.Globalization;
using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Deploy;

/// <summary>
/// The SDK's two-step create: provision fixes what will run (compose bytes, hash, app id, teepod, image, size) and hands
/// out the key to encrypt env with; commit creates the VM from exactly that, with the encrypted env passed through.
/// </summary>
public sealed class DeployModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/cvms").RequireAuthorization();
        group.MapPost("/provision", Provision).Produces<ProvisionCvmResponse>();
        group.MapPost("/", Commit).Produces<CvmVmResponse>();
    }

    private static async Task<IResult> Provision(
        ProvisionCvmRequest request, CurrentUser current, TeepodStore teepods, PendingStore pending, CvmStore cvms, Quota quota,
        KmsCatalog kmsCatalog, Infrastructure.Dstack.DstackClientFactory clients, Kms.EnvEncryptKeys envKeys, CancellationToken ct)
    {
        var enabled = await teepods.ListAsync(includeDisabled: false);
        var kmsEntries = kmsCatalog.EntriesFor(enabled);
        var kmsList = kmsEntries.Select(KmsInfo.From).ToList();
        var plan = DeployValidation.Validate(request, kmsList);
        var user = current.User!;
        // The app id is the app's identity (its KMS keys, its gateway routes): nobody deploys under another's.
        if (plan.AppId is { } wanted && !user.IsAdmin)
        {
            var ownership = await cvms.OwnershipAsync(wanted, user.Id);
            if (ownership == AppOwnership.Foreign || (ownership == AppOwnership.Unknown && await RunsAnywhereAsync(wanted, teepods, clients, ct)))
                throw ApiException.Forbidden($"App {wanted} belongs to another user; deploy under an app id of your own");
        }
        await quota.EnsureAllowedAsync(user, new QuotaRequest(1, plan.Vcpu, plan.MemoryMb, plan.DiskGb));

        var placement = Placement.Choose(enabled,
            new PlacementRequest(request.NodeId ?? request.TeepodId, request.Region, request.Image, plan.Vcpu, plan.MemoryMb, user.IsAdmin));
        var teepod = placement.Teepod;

        var compose = AppComposeBuilder.WithSalt(AppComposeBuilder.Build(
            AppComposeBuilder.WithHostDefaults(request.ComposeFile!, hasKms: teepod.KmsUrl is not null, hasGateway: HasGateway(teepod)),
            request.Name!));
        var composeText = AppComposeJson.Dump(AppComposeJson.Preprocess(compose));
        var composeHash = AppComposeJson.Hash(composeText);
        var appId = plan.AppId ?? composeHash[..40];
        var composeNode = System.Text.Json.Nodes.JsonNode.Parse(composeText);
        var kmsEnabled = composeNode?["kms_enabled"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var gatewayEnabled = composeNode?["gateway_enabled"]?.GetValueKind() == System.Text.Json.JsonValueKind.True
                             || composeNode?["tproxy_enabled"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var (kms, kmsEntry) = KmsFor(kmsEntries, request.KmsId, teepod);
        var onHostKms = kms is null || teepod.KmsUrl is not { } hostKms || TeepodProbe.SameUrl(kms.Url, hostKms);
        if (kmsEnabled && !onHostKms && !VmmFeatures.Of(teepod.TeepodVersion).HasPerVmKmsUrls)
            throw ApiException.Conflict(
                $"Teepod {teepod.Id} runs dstack-vmm {teepod.TeepodVersion}, which gives every CVM the host's own KMS; " +
                $"KMS '{kms!.Id}' needs a teepod on dstack-vmm 0.5.2 or newer");

        // The key the CVM will decrypt with, verified against that KMS's pinned k256 key: the host's own KMS through
        // its vmm (which relays to it), another KMS asked itself; the guest is then pointed at that same KMS.
        var pubkey = !kmsEnabled ? null
            : onHostKms ? (await envKeys.FromVmmAsync(clients.VmmFor(teepod), TeepodClients.Label(teepod.Name), teepod.KmsUrl, appId, ct)).PublicKey
            : (await envKeys.GetAsync(kmsEntry!, appId, ct)).PublicKey;

        var now = DateTime.UtcNow;
        var saved = await pending.SaveAsync(new PendingOperation
        {
            Kind = PendingKind.Deploy,
            LookupKey = LookupKey(user.Id, appId, composeHash),
            UserId = user.Id,
            AppId = appId,
            TeepodId = teepod.Id,
            ComposeHash = composeHash,
            Payload = CvmOperations.SerializePlan(new CreationPlan(
                request.Name!, placement.Image, composeText, request.Listed ?? false, null, plan.InstanceType, kms?.Id, pubkey,
                KmsUrls: kmsEnabled && kms is not null ? [kms.Url] : null,
                GatewayUrls: gatewayEnabled && !string.IsNullOrEmpty(teepod.TproxyUrl) ? [teepod.TproxyUrl] : null)),
            Vcpu = plan.Vcpu,
            Memory = plan.MemoryMb,
            DiskSize = plan.DiskGb,
            CreatedAt = Clock.ToText(now),
            ExpiresAt = Clock.ToText(now + PendingLifetime.Default),
        }) ?? throw ApiException.Conflict(
            $"This compose is already deployed for app {appId}; add an instance with POST /api/v1/apps/{appId}/instances or change the compose");

        // Known where the image is on this host: the digest the pinger read (a KMS allow-list is keyed by it).
        var osImageHash = TeepodAvailability.Images(teepod.ImagesJson).FirstOrDefault(i => i.Name == placement.Image)?.OsImageHash;
        return TypedResults.Json(new ProvisionCvmResponse(
            composeHash, appId, pubkey, kms, Fmspc: null, DeviceId: null, osImageHash, plan.InstanceType,
            teepod.Id, teepod.Id, kms?.Id, placement.Image, plan.Vcpu, plan.MemoryMb, plan.DiskGb, saved.ExpiresAt),
            DeployJson.Default.ProvisionCvmResponse);
    }

    /// <summary>
    /// Creates the provisioned CVM once. The same commit sent again, even while the first is still creating the VM,
    /// answers the CVM the first created (it waits for it): never a second VM.
    /// </summary>
    private static async Task<IResult> Commit(
        CommitCvmRequest request, CurrentUser current, PendingStore pending, CvmOperations operations, CancellationToken ct)
    {
        var (appId, composeHash, encryptedEnv) = DeployValidation.Validate(request);
        var user = current.User!;
        var provision = await pending.FindAsync(PendingKind.Deploy, LookupKey(user.Id, appId, composeHash))
            ?? throw ApiException.NotFound($"No provision of app {appId} with compose hash {composeHash}; call POST /api/v1/cvms/provision first");
        var committed = await operations.CommitCreationAsync(provision, user, encryptedEnv, transactionHash: null, ct);
        return TypedResults.Json(CvmMapper.ToVm(committed.Row, committed.Live), CvmsJson.Default.CvmVmResponse);
    }

    /// <summary>
    /// Whether a VM of the app already runs on an online teepod although no CVM of it was ever recorded: the operator's
    /// (not imported yet), so no user may take its identity. Teepods that do not answer are skipped.
    /// </summary>
    private static async Task<bool> RunsAnywhereAsync(string appId, TeepodStore teepods, DstackClientFactory clients, CancellationToken ct)
    {
        var online = (await teepods.ListAsync(includeDisabled: true)).Where(t => t.Status == TeepodStatus.Online);
        var found = await Task.WhenAll(online.Select(async t =>
        {
            try
            {
                var listing = await clients.VmmFor(t).StatusAsync(new VmmStatusRequest { Keyword = appId, Brief = true }, ct);
                return listing.Vms.Any(vm => vm.AppId == appId);
            }
            catch (DstackException)
            {
                return false;
            }
        }));
        return found.Any(f => f);
    }

    /// <summary>A teepod whose probe found a gateway (its URL, or at least the domain it routes apps under).</summary>
    private static bool HasGateway(TeepodRecord teepod) =>
        !string.IsNullOrEmpty(teepod.TproxyUrl) || !string.IsNullOrEmpty(teepod.TproxyBaseDomain);

    private static string LookupKey(long userId, string appId, string composeHash) => $"{userId}:{appId}:{composeHash}";

    /// <summary>
    /// The KMS asked for by id or slug; else the teepod's own (from the catalog, or as the probe found it when the
    /// catalog lists only other KMSs); else the first of the catalog.
    /// </summary>
    private static (KmsInfo? Info, Infrastructure.Config.KmsConfig? Entry) KmsFor(List<Infrastructure.Config.KmsConfig> all, string? kmsId, TeepodRecord teepod)
    {
        var entry = kmsId is not null
            ? all.FirstOrDefault(k => k.Id == kmsId || k.Slug == kmsId)
            : all.FirstOrDefault(k => teepod.KmsUrl is not null && TeepodProbe.SameUrl(k.Url, teepod.KmsUrl))
              ?? (teepod.KmsUrl is null ? all.FirstOrDefault() : KmsCatalog.Derive([teepod]).FirstOrDefault());
        return (entry is null ? null : KmsInfo.From(entry), entry);
    }
}
