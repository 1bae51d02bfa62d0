using System.Globalization;
using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Kms;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Deploy;

/// <summary>
/// The SDK's two-step create: provision fixes what will run (compose bytes, hash, app id, teepod, image, size) and hands
/// out the key to encrypt env with; commit creates the VM from exactly that, with the encrypted env passed through.
/// </summary>
public sealed class DeployModule : ICarterModule
{
    public static readonly TimeSpan ProvisionLifetime = TimeSpan.FromHours(1);

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/cvms").RequireAuthorization();
        group.MapPost("/provision", Provision);
        group.MapPost("/", Commit);
    }

    private static async Task<IResult> Provision(
        ProvisionCvmRequest request, CurrentUser current, TeepodStore teepods, ProvisionStore provisions, Quota quota,
        Infrastructure.Dstack.DstackClientFactory clients, TeehouseConfig config, CancellationToken ct)
    {
        var plan = DeployValidation.Validate(request, config);
        var user = current.User!;
        await quota.EnsureAllowedAsync(user, plan.Vcpu, plan.MemoryMb, plan.DiskGb);

        var placement = Placement.Choose(await teepods.ListAsync(includeDisabled: false),
            new PlacementRequest(request.NodeId ?? request.TeepodId, request.Region, request.Image, plan.Vcpu, plan.MemoryMb, user.IsAdmin));
        var teepod = placement.Teepod;

        var composeText = AppComposeJson.Dump(AppComposeJson.Preprocess(AppComposeBuilder.Build(request.ComposeFile!, request.Name!)));
        var composeHash = AppComposeJson.Hash(composeText);
        var appId = plan.AppId ?? composeHash[..40];
        var kmsEnabled = System.Text.Json.Nodes.JsonNode.Parse(composeText)?["kms_enabled"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var kms = KmsFor(config, request.KmsId, teepod);

        // The vmm relays the request to the KMS it hands to its guests: the key the CVM will decrypt with.
        var pubkey = kmsEnabled
            ? (await clients.Vmm(teepod.Endpoint, teepod.AuthToken).GetAppEnvEncryptPubKeyAsync(appId, ct)).PublicKey
            : null;

        var now = DateTime.UtcNow;
        var saved = await provisions.SaveAsync(new ProvisionRecord
        {
            UserId = user.Id,
            TeepodId = teepod.Id,
            AppId = appId,
            ComposeHash = composeHash,
            ComposeFile = composeText,
            Name = request.Name!,
            Image = placement.Image,
            Vcpu = plan.Vcpu,
            Memory = plan.MemoryMb,
            DiskSize = plan.DiskGb,
            InstanceType = plan.InstanceType,
            Listed = request.Listed ?? false,
            KmsId = kms?.Id,
            CreatedAt = Clock.ToText(now),
            ExpiresAt = Clock.ToText(now + ProvisionLifetime),
        }) ?? throw ApiException.Conflict(
            $"This compose is already deployed for app {appId}; add an instance with POST /api/v1/apps/{appId}/instances or change the compose");

        return TypedResults.Json(new ProvisionCvmResponse(
            composeHash, appId, pubkey, kms, Fmspc: null, DeviceId: null, OsImageHash: null, plan.InstanceType,
            teepod.Id, teepod.Id, kms?.Id, placement.Image, plan.Vcpu, plan.MemoryMb, plan.DiskGb, saved.ExpiresAt),
            AppJsonContext.Default.ProvisionCvmResponse);
    }

    private static async Task<IResult> Commit(
        CommitCvmRequest request, CurrentUser current, ProvisionStore provisions, TeepodStore teepods, CvmQueries cvms,
        Infrastructure.Dstack.DstackClientFactory clients, ILogger<DeployModule> logger, CancellationToken ct)
    {
        var (appId, composeHash, encryptedEnv) = DeployValidation.Validate(request);
        var user = current.User!;
        var provision = await provisions.FindAsync(user.Id, appId, composeHash)
            ?? throw ApiException.NotFound($"No provision of app {appId} with compose hash {composeHash}; call POST /api/v1/cvms/provision first");

        // A repeated commit answers with the CVM the first one created: never a second VM.
        if (provision.CvmId is { } existing)
            return await VmAsync(cvms, existing, live: null);
        if (string.CompareOrdinal(provision.ExpiresAt, Clock.NowText()) < 0)
            throw ApiException.Conflict($"The provision of app {appId} expired at {provision.ExpiresAt}; provision it again");

        var teepod = await teepods.FindAsync(provision.TeepodId) ?? throw ApiException.NotFound($"Teepod {provision.TeepodId} not found");
        var vmm = clients.Vmm(teepod.Endpoint, teepod.AuthToken);

        // A commit that crashed between CreateVm and the database write left the VM behind: find it, don't make another.
        var vmId = provision.CommittingAt is null ? null : await DeployRecovery.FindCreatedVmAsync(vmm, provision, ct);
        if (vmId is null)
        {
            await provisions.MarkCommittingAsync(provision.Id, Clock.NowText());
            vmId = await vmm.CreateVmAsync(new Infrastructure.Dstack.VmConfiguration
            {
                Name = provision.Name,
                Image = provision.Image,
                ComposeFile = provision.ComposeFile,
                Vcpu = (int)provision.Vcpu,
                Memory = (int)provision.Memory,
                DiskSize = (int)provision.DiskSize,
                EncryptedEnv = encryptedEnv,
                AppId = provision.AppId,
            }, ct);
        }
        var info = await vmm.GetInfoAsync(vmId, ct);
        var cvmId = await provisions.CompleteAsync(provision, vmId, info, Clock.NowText());
        logger.LogInformation("User {User} deployed CVM {Cvm} ({Name}, app {App}) on teepod {Teepod} as VM {Vm}",
            user.Username, cvmId, provision.Name, provision.AppId, teepod.Id, vmId);
        return await VmAsync(cvms, cvmId, info);
    }

    /// <summary>The SDK's commit schema is the VM shape the power operations answer with.</summary>
    private static async Task<IResult> VmAsync(CvmQueries cvms, long cvmId, Infrastructure.Dstack.VmInfo? live)
    {
        var row = await cvms.ByIdAsync(cvmId) ?? throw ApiException.NotFound($"CVM {cvmId} not found");
        return TypedResults.Json(CvmMapper.ToVm(row, live), AppJsonContext.Default.CvmVmResponse);
    }

    private static KmsInfo? KmsFor(TeehouseConfig config, string? kmsId, TeepodRecord teepod)
    {
        var all = config.Kms.Select(KmsInfo.From).ToList();
        if (kmsId is not null) return all.FirstOrDefault(k => k.Id == kmsId || k.Slug == kmsId);
        return all.FirstOrDefault(k => teepod.KmsUrl is not null && TeepodProbe.SameUrl(k.Url, teepod.KmsUrl)) ?? all.FirstOrDefault();
    }
}
