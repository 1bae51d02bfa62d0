using System.Collections.Concurrent;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Cvms;

/// <summary>A CVM a commit created (or found already created), with what its vmm said of it just now.</summary>
public sealed record CommittedCvm(CvmRow Row, VmInfo? Live, bool Repeated);

/// <summary>
/// The one way a prepared operation becomes real. A commit claims its pending operation in one transaction that also
/// checks the app's owner and the user's quota, calls the vmm outside any transaction, then records the result and
/// marks the operation done in a second one. Within this process one commit of an operation runs at a time: a second
/// request for the same operation waits for the first and is then answered as a repeat. A claim left behind by a
/// process that died is taken over by the next commit or ping, which first looks for the VM the dead one may have
/// created, so a crash costs neither a lost deploy nor a twin VM.
/// </summary>
public sealed partial class CvmOperations(
    CvmStore store, PendingStore pending, TeepodStore teepods, DstackClientFactory clients, TeehouseConfig config,
    ILogger<CvmOperations> logger)
{
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();

    public static string SerializePlan(CreationPlan plan) => JsonSerializer.Serialize(plan, CvmPlanJson.Default.CreationPlan);

    public static string SerializePlan(UpdatePlan plan) => JsonSerializer.Serialize(plan, CvmPlanJson.Default.UpdatePlan);

    public static CreationPlan CreationOf(PendingOperation op) =>
        JsonSerializer.Deserialize(op.Payload, CvmPlanJson.Default.CreationPlan) ?? throw new InvalidDataException($"pending operation {op.Id}: no plan");

    public static UpdatePlan UpdateOf(PendingOperation op) =>
        JsonSerializer.Deserialize(op.Payload, CvmPlanJson.Default.UpdatePlan) ?? throw new InvalidDataException($"pending operation {op.Id}: no plan");

    /// <summary>
    /// Creates the CVM <paramref name="op"/> prepared, exactly once. <paramref name="envOverride"/> replaces the
    /// prepared encrypted env (a deploy's env arrives only with its commit).
    /// </summary>
    public Task<CommittedCvm> CommitCreationAsync(
        PendingOperation op, UserRecord user, string? envOverride, string? transactionHash, CancellationToken ct) =>
        ExclusiveAsync(op.Id, () => CreateOnceAsync(op.Id, user, envOverride, transactionHash, ct));

    /// <summary>Runs <paramref name="work"/> for one pending operation at a time; later callers wait, then run theirs.</summary>
    private async Task<T> ExclusiveAsync<T>(long opId, Func<Task<T>> work)
    {
        while (true)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight.TryAdd(opId, done.Task))
            {
                try
                {
                    return await work();
                }
                finally
                {
                    _inFlight.TryRemove(opId, out _);
                    done.SetResult();
                }
            }
            if (_inFlight.TryGetValue(opId, out var running)) await running;
        }
    }

    private async Task<CommittedCvm> CreateOnceAsync(long opId, UserRecord user, string? envOverride, string? transactionHash, CancellationToken ct)
    {
        var (op, takeOver) = await store.Db.InTransactionAsync(async (c, tx) =>
        {
            var current = await PendingStore.GetAsync(c, tx, opId)
                ?? throw ApiException.NotFound("This prepared operation no longer exists (it expired); prepare it again");
            var now = Clock.NowText();
            if (current.State == PendingState.Done) return (current, false);
            if (current.State == PendingState.Pending)
            {
                if (current.IsExpired(now))
                    throw ApiException.Conflict($"The prepared deployment of app {current.AppId} expired at {current.ExpiresAt}; prepare it again");
                if (await CvmStore.ClaimAppAsync(c, tx, current.AppId, user.Id) == AppOwnership.Foreign && !user.IsAdmin)
                    throw ApiException.Forbidden($"App {current.AppId} belongs to another user; deploy under an app id of your own");
                await Quota.EnsureAllowedAsync(c, tx, config, user,
                    new QuotaRequest(1, current.Vcpu, current.Memory, current.DiskSize), exceptPending: current.Id);
                if (!await PendingStore.ClaimAsync(c, tx, current.Id, PendingState.Pending, null, transactionHash, now))
                    throw ApiException.Conflict("Another request is committing this operation");
                return (current, false);
            }
            // Claimed, but no commit of this process is running it: whoever claimed it died mid-way.
            if (!await PendingStore.ClaimAsync(c, tx, current.Id, PendingState.Committing, current.ClaimOwner, transactionHash, now))
                throw ApiException.Conflict("Another request is committing this operation");
            return (current, true);
        }, ct);

        if (op.State == PendingState.Done)
        {
            var row = op.ResultCvmId is { } id ? await store.ByIdAsync(id) : null;
            return new CommittedCvm(row ?? throw ApiException.NotFound("The CVM this operation created no longer exists"), null, Repeated: true);
        }

        var plan = CreationOf(op);
        var teepod = await teepods.FindAsync(op.TeepodId ?? 0);
        if (teepod is null)
        {
            await pending.ReleaseAsync(op.Id);
            throw ApiException.NotFound($"Teepod {op.TeepodId} no longer exists; prepare the deployment again");
        }
        var vmm = clients.VmmFor(teepod);
        var vmId = takeOver ? await FindCreatedVmAsync(vmm, op, plan, ct) : null;
        if (vmId is null)
        {
            try
            {
                vmId = await vmm.CreateVmAsync(new VmConfiguration
                {
                    Name = plan.Name,
                    Image = plan.Image,
                    ComposeFile = plan.ComposeFile,
                    Vcpu = (int)op.Vcpu,
                    Memory = (int)op.Memory,
                    DiskSize = (int)op.DiskSize,
                    EncryptedEnv = envOverride ?? plan.EncryptedEnv ?? "",
                    AppId = op.AppId,
                    KmsUrls = plan.KmsUrls ?? [],
                    GatewayUrls = plan.GatewayUrls ?? [],
                }, ct);
            }
            catch (DstackException e) when (e.Failure is DstackFailure.RemoteError or DstackFailure.Unauthorized)
            {
                // The vmm refused: nothing exists, so the operation can be committed again. Anything else (a timeout, a
                // dropped connection) may have created the VM: the claim stays, and the next try looks for it first.
                await pending.ReleaseAsync(op.Id);
                throw;
            }
        }
        var committed = await RecordCreatedAsync(op, plan, vmm, vmId, ct);
        logger.LogInformation("User {User} committed {Kind} {Op}: CVM {Cvm} ({Name}, app {App}) on teepod {Teepod} as VM {Vm}{Adopted}",
            user.Username, op.Kind, op.Id, committed.Row.Id, plan.Name, op.AppId, teepod.Id, vmId, takeOver ? " (adopted after an interrupted commit)" : "");
        return committed;
    }

    private async Task<CommittedCvm> RecordCreatedAsync(PendingOperation op, CreationPlan plan, VmmClient vmm, string vmId, CancellationToken ct)
    {
        VmInfo? info = null;
        try
        {
            info = await vmm.GetInfoAsync(vmId, ct);
        }
        catch (DstackException e)
        {
            // The VM exists: record it now; the next ping fills in what GetInfo would have said.
            logger.LogWarning("VM {Vm} was created but GetInfo failed: {Detail}", vmId, e.FullDetail);
        }
        var cvmId = await store.Db.InTransactionAsync(async (c, tx) =>
        {
            var now = Clock.NowText();
            var id = await CvmStore.InsertCreatedAsync(c, tx,
                new CreatedCvm(op.TeepodId ?? 0, vmId, op.AppId, plan.Name, plan.Image, op.Vcpu, op.Memory, op.DiskSize,
                    op.ComposeHash, op.UserId, plan.Listed, AppComposeParser.Parse(plan.ComposeFile)?.KmsEnabled), info, now);
            if (plan.EnvPubkey is { Length: > 0 } key) await CvmStore.SetEnvPubkeyAsync(c, tx, op.AppId, key);
            await PendingStore.CompleteAsync(c, tx, op.Id, id, now);
            return id;
        }, CancellationToken.None);
        var row = await store.ByIdAsync(cvmId) ?? throw new InvalidOperationException($"CVM {cvmId} vanished right after it was recorded");
        return new CommittedCvm(row, info, Repeated: false);
    }

    /// <summary>
    /// The VM an interrupted commit created: same app id, name and compose hash, and recorded as nobody's CVM yet (a
    /// new instance of an app looks exactly like the ones it already has).
    /// </summary>
    private async Task<string?> FindCreatedVmAsync(VmmClient vmm, PendingOperation op, CreationPlan plan, CancellationToken ct)
    {
        var listing = await vmm.StatusAsync(new VmmStatusRequest { Keyword = op.AppId }, ct);
        var owned = (await store.ForTeepodAsync(op.TeepodId ?? 0)).Values
            .Where(r => r.UserId is not null).Select(r => r.VmUuid).ToHashSet(StringComparer.Ordinal);
        return listing.Vms
            .Where(vm => vm.AppId == op.AppId && vm.Name == plan.Name && vm.Status != CvmStatus.Removing && !owned.Contains(vm.Id))
            .Where(vm => vm.Configuration is { } c && AppComposeParser.ComposeHash(c.ComposeFile) == op.ComposeHash)
            .Select(vm => vm.Id)
            .FirstOrDefault();
    }

    /// <summary>
    /// Run on every ping of a teepod: finishes each creation whose commit died after claiming it (its VM found: the
    /// CVM is recorded) or gives the claim back when the VM never appeared, so the client can commit again.
    /// </summary>
    public async Task<int> RepairInterruptedAsync(TeepodRecord teepod, CancellationToken ct)
    {
        var repaired = 0;
        var vmm = clients.VmmFor(teepod);
        foreach (var kind in new[] { PendingKind.Deploy, PendingKind.Instance })
        {
            foreach (var stale in await pending.CommittingAsync(kind, teepod.Id))
            {
                if (_inFlight.ContainsKey(stale.Id)) continue;
                repaired += await ExclusiveAsync(stale.Id, async () =>
                {
                    var claimed = await store.Db.InTransactionAsync(async (c, tx) =>
                    {
                        var current = await PendingStore.GetAsync(c, tx, stale.Id);
                        return current is { State: PendingState.Committing }
                               && await PendingStore.ClaimAsync(c, tx, current.Id, PendingState.Committing, current.ClaimOwner, null, Clock.NowText())
                            ? current
                            : null;
                    }, ct);
                    if (claimed is null) return 0;
                    var plan = CreationOf(claimed);
                    if (await FindCreatedVmAsync(vmm, claimed, plan, ct) is not { } vmId)
                    {
                        await pending.ReleaseAsync(claimed.Id);
                        return 0;
                    }
                    await RecordCreatedAsync(claimed, plan, vmm, vmId, ct);
                    return 1;
                });
            }
        }
        return repaired;
    }
}
