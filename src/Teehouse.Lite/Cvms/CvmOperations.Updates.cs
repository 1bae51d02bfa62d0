using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Cvms;

/// <summary>What a change sets on a CVM's row: null = unchanged.</summary>
public sealed record CvmChange(string? ComposeHash = null, long? Vcpu = null, long? Memory = null, long? DiskSize = null, string? Image = null)
{
    public QuotaRequest QuotaFor(CvmRow row) => new(0,
        Math.Max(0, (Vcpu ?? row.Vcpu ?? 0) - (row.Vcpu ?? 0)),
        Math.Max(0, (Memory ?? row.Memory ?? 0) - (row.Memory ?? 0)),
        Math.Max(0, (DiskSize ?? row.DiskSize ?? 0) - (row.DiskSize ?? 0)));
}

public sealed partial class CvmOperations
{
    /// <summary>
    /// Applies a prepared update of <paramref name="row"/> exactly once: claimed (with the user's credit checked) before
    /// <paramref name="write"/> calls the vmm, given back if that fails, done once the row shows the new compose.
    /// </summary>
    public Task CommitUpdateAsync(
        PendingOperation op, CvmRow row, UserRecord user, string? transactionHash, Func<UpdatePlan, Task> write, CancellationToken ct) =>
        ExclusiveAsync(op.Id, async () =>
        {
            await store.Db.InTransactionAsync(async (c, tx) =>
            {
                var current = await PendingStore.GetAsync(c, tx, op.Id)
                    ?? throw ApiException.NotFound($"The prepared update of CVM {row.HashedId} no longer exists; prepare it again");
                var now = Clock.NowText();
                if (current.State == PendingState.Done)
                    throw ApiException.Conflict($"The update {current.ComposeHash} of CVM {row.HashedId} was already applied at {current.DoneAt}");
                if (current.State == PendingState.Pending && current.IsExpired(now))
                    throw ApiException.Conflict($"The update {current.ComposeHash} of CVM {row.HashedId} expired at {current.ExpiresAt}; prepare it again");
                await Quota.EnsureAllowedAsync(c, tx, config, user, QuotaRequest.None, exceptPending: current.Id);
                // A claim nobody in this process runs belongs to a commit that died: writing the same bytes again is safe.
                if (!await PendingStore.ClaimAsync(c, tx, current.Id, current.State, current.ClaimOwner, transactionHash, now))
                    throw ApiException.Conflict($"The update {current.ComposeHash} of CVM {row.HashedId} is being applied");
                return 0;
            }, ct);

            var plan = UpdateOf(op);
            try
            {
                await write(plan);
            }
            catch
            {
                await pending.ReleaseAsync(op.Id);
                throw;
            }
            await store.Db.InTransactionAsync(async (c, tx) =>
            {
                if (plan.ComposeFile is not null)
                    await CvmStore.SetConfigurationAsync(c, tx, row.Id, op.ComposeHash, null, null, null, null);
                await PendingStore.CompleteAsync(c, tx, op.Id, row.Id, Clock.NowText());
                return 0;
            }, CancellationToken.None);
            return 0;
        });

    /// <summary>
    /// A change applied at once (env update, PATCH, resize): credits and, for more resources, the tier are checked and
    /// the new values written to the row in one transaction before <paramref name="write"/> calls the vmm, so two
    /// concurrent resizes cannot together pass a limit; the row is put back if the vmm refuses.
    /// </summary>
    public async Task ChangeAsync(CvmRow row, UserRecord user, CvmChange change, Func<Task> write, CancellationToken ct)
    {
        await store.Db.InTransactionAsync(async (c, tx) =>
        {
            var fresh = await store.ByIdAsync(row.Id) ?? row;
            await Quota.EnsureAllowedAsync(c, tx, config, user, change.QuotaFor(fresh), exceptPending: 0);
            await CvmStore.SetConfigurationAsync(c, tx, row.Id, change.ComposeHash, change.Vcpu, change.Memory, change.DiskSize, change.Image);
            return 0;
        }, ct);
        try
        {
            await write();
        }
        catch
        {
            await store.Db.InTransactionAsync(async (c, tx) =>
            {
                await CvmStore.SetConfigurationAsync(c, tx, row.Id, row.ComposeHash, row.Vcpu, row.Memory, row.DiskSize, row.Image);
                return 0;
            }, CancellationToken.None);
            throw;
        }
    }
}
