using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>What an import or reconcile should do besides bringing known rows in line with the vmm.</summary>
/// <param name="InsertNew">Record VMs that have no row yet (import); the reconciler leaves them unmanaged.</param>
/// <param name="OwnerId">Give unowned CVMs this owner.</param>
/// <param name="MarkListed">Mark the CVMs listed.</param>
public sealed record CvmSyncOptions(bool InsertNew, long? OwnerId = null, bool MarkListed = false)
{
    public static readonly CvmSyncOptions Reconcile = new(InsertNew: false);
}

public sealed record CvmSyncSummary(int Seen, int New, int Updated, int Unchanged, int Gone);

/// <summary>
/// Brings the cvms rows of one teepod in line with what its dstack-vmm reports, one batch (a Status page) per
/// transaction: a teepod that fails half-way leaves only whole batches written, and a re-run finishes the job.
/// VMs missing from a complete listing are confirmed with a filtered Status before they are marked gone, because a
/// paged listing is not a snapshot.
/// </summary>
public sealed class CvmSyncSession
{
    private readonly CvmStore _store;
    private readonly long _teepodId;
    private readonly CvmSyncOptions _options;
    private readonly Dictionary<string, CvmRow> _known;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private int _new, _updated, _unchanged;

    private CvmSyncSession(CvmStore store, long teepodId, CvmSyncOptions options, Dictionary<string, CvmRow> known)
    {
        _store = store;
        _teepodId = teepodId;
        _options = options;
        _known = known;
    }

    public static async Task<CvmSyncSession> BeginAsync(CvmStore store, long teepodId, CvmSyncOptions options) =>
        new(store, teepodId, options, await store.SyncRowsAsync(teepodId));

    public int Seen => _seen.Count;

    public async Task ApplyAsync(IReadOnlyList<VmInfo> batch)
    {
        var now = Clock.NowText();
        var seenAt = DateTimeOffset.UtcNow;
        var handled = new HashSet<string>(StringComparer.Ordinal);
        var observed = new List<CvmRow>();
        var updates = new List<(CvmRow Row, bool Material)>();
        var inserts = new List<CvmRow>();
        int unchanged = 0;
        foreach (var vm in batch)
        {
            // A page boundary that shifted between two Status calls can repeat a VM: handle it once.
            if (_seen.Contains(vm.Id) || !handled.Add(vm.Id)) continue;
            if (_known.TryGetValue(vm.Id, out var row))
            {
                var next = Observe(vm, row, now, seenAt);
                var material = Material(row) != Material(next);
                // A VM that is only older than last time changes nothing stored: its uptime is derived from the start.
                if (material || !SameStart(row, next)) updates.Add((next, material));
                if (!material) unchanged++;
                observed.Add(material || !SameStart(row, next) ? next : row);
            }
            else if (_options.InsertNew)
            {
                inserts.Add(Observe(vm, new CvmRow { TeepodId = _teepodId, VmUuid = vm.Id, CreatedAt = now }, now, seenAt));
            }
        }

        // A round that saw nothing new takes no write lock at all.
        if (updates.Count > 0 || inserts.Count > 0)
        {
            await _store.Db.InTransactionAsync(async (c, tx) =>
            {
                using var writer = new CvmSyncWriter(c, tx);
                foreach (var (next, material) in updates)
                {
                    await writer.UpdateAsync(next);
                    if (material && next.UserId is not null) await writer.RecordAppAsync(next.AppId, next.UserId, now);
                }
                foreach (var created in inserts)
                {
                    await writer.InsertAsync(created);
                    await writer.RecordAppAsync(created.AppId, created.UserId, now);
                }
                return 0;
            });
        }
        // Only after the commit: a failed batch must leave the session as it was, so a retry compares correctly.
        _seen.UnionWith(handled);
        foreach (var row in observed) _known[row.VmUuid] = row;
        _new += inserts.Count;
        _updated += updates.Count(u => u.Material);
        _unchanged += unchanged;
    }

    /// <summary>Whether the row's stored start (or, for an uptime that is not a duration, its text) still holds.</summary>
    private static bool SameStart(CvmRow stored, CvmRow seen) =>
        stored.StartedAt is { } a && seen.StartedAt is { } b ? VmUptime.SameStart(a, b)
        : stored.StartedAt is null && seen.StartedAt is null && stored.Uptime == seen.Uptime;

    /// <summary>After a complete listing: marks rows whose VM is confirmed missing as gone.</summary>
    public async Task<CvmSyncSummary> FinishAsync(VmmClient vmm, CancellationToken ct)
    {
        var missing = _known.Values.Where(r => r.Status != CvmStatus.Gone && !_seen.Contains(r.VmUuid)).ToList();
        var gone = new List<long>();
        foreach (var chunk in missing.Chunk(200))
        {
            var still = await vmm.StatusAsync(new VmmStatusRequest { Ids = chunk.Select(r => r.VmUuid).ToList(), Brief = true }, ct);
            var present = still.Vms.Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
            gone.AddRange(chunk.Where(r => !present.Contains(r.VmUuid)).Select(r => r.Id));
        }
        await _store.MarkGoneAsync(gone);
        return new CvmSyncSummary(_seen.Count, _new, _updated, _unchanged, gone.Count);
    }

    private CvmRow Observe(VmInfo vm, CvmRow row, string now, DateTimeOffset seenAt)
    {
        var config = vm.Configuration;
        // The KMS flag is read only when the compose changed (or was never looked at): pings see every VM every round.
        var (hash, kms) = config is null
            ? (row.ComposeHash, row.KmsEnabled)
            : ComposeFacts.Read(config.ComposeFile, withKms: row.KmsEnabled is null || row.ComposeHash is null);
        if (config is not null && hash != row.ComposeHash && kms is null) kms = ComposeFacts.Read(config.ComposeFile, withKms: true).KmsEnabled;
        return new CvmRow
        {
            Id = row.Id,
            TeepodId = row.TeepodId,
            VmUuid = vm.Id,
            AppId = vm.AppId,
            InstanceId = string.IsNullOrEmpty(vm.InstanceId) ? row.InstanceId : vm.InstanceId,
            Name = row.Name.Length > 0 ? row.Name : vm.Name,
            Status = vm.Status,
            Uptime = vm.Uptime,
            StartedAt = VmUptime.StartedAt(vm.Uptime, seenAt),
            Image = config?.Image ?? row.Image,
            ImageVersion = string.IsNullOrEmpty(vm.ImageVersion) ? row.ImageVersion : vm.ImageVersion,
            Vcpu = config?.Vcpu ?? row.Vcpu,
            Memory = config?.Memory ?? row.Memory,
            DiskSize = config?.DiskSize ?? row.DiskSize,
            ComposeHash = hash,
            KmsEnabled = hash == row.ComposeHash && row.KmsEnabled is not null ? row.KmsEnabled : kms,
            UserId = row.UserId ?? _options.OwnerId,
            Username = row.Username,
            Listed = row.Listed || _options.MarkListed,
            InProgress = row.InProgress,
            CreatedAt = row.CreatedAt,
            UpdatedAt = now,
            LastSyncedAt = now,
            GoneAt = null,
        };
    }

    // What makes a row "updated" in a summary; a restart (a new start time) is written without counting.
    private static string Material(CvmRow r) => string.Join('\u001f',
        r.AppId, r.InstanceId, r.Name, r.Status, r.Image, r.ImageVersion, r.Vcpu, r.Memory, r.DiskSize, r.ComposeHash, r.KmsEnabled,
        r.UserId, r.Listed, r.GoneAt);
}
