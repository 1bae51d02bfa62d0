using Dapper;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Cvms;

/// <summary>What a commit would add to a user's footprint.</summary>
public readonly record struct QuotaRequest(int Instances, long Vcpu, long MemoryMb, long DiskGb)
{
    public static QuotaRequest None => default;
}

/// <summary>
/// The tier limits of [tiers.&lt;TIER&gt;] count everything a user runs (live CVMs: not gone or being removed) plus
/// creations whose commit is in flight, and a user needs a positive credit balance to create or change anything.
/// Admins, the operator, are not limited. Checked at prepare time for early feedback and again, inside the claim's
/// transaction, at commit: SQLite's write lock makes concurrent commits of one user see each other.
/// </summary>
public sealed class Quota(CvmStore store, TeehouseConfig config)
{
    /// <summary>The early check at prepare time (outside any transaction).</summary>
    public async Task EnsureAllowedAsync(UserRecord user, QuotaRequest wanted)
    {
        if (user.IsAdmin) return;
        await using var c = await store.Db.OpenAsync();
        await using var tx = c.BeginTransaction(deferred: true);
        await EnsureAllowedAsync(c, tx, config, user, wanted, exceptPending: 0);
    }

    /// <summary>
    /// What counts against a user's tier: live CVMs plus creations in flight (the workspace quotas show it), and the
    /// tier that applies (FREE when the user's is not configured; null when neither is).
    /// </summary>
    public async Task<(string TierName, TierConfig? Tier, Reservation Used)> UsageAsync(UserRecord user)
    {
        await using var c = await store.Db.OpenAsync();
        await using var tx = c.BeginTransaction(deferred: true);
        var (used, reserved) = await UsedAsync(c, tx, user.Id, exceptPending: 0);
        var tierName = config.Tiers.ContainsKey(user.Tier) ? user.Tier : "FREE";
        var total = new Reservation
        {
            Instances = used.Instances + reserved.Instances, Vcpu = used.Vcpu + reserved.Vcpu,
            Memory = used.Memory + reserved.Memory, Disk = used.Disk + reserved.Disk,
        };
        return (tierName, config.Tiers.GetValueOrDefault(tierName), total);
    }

    private static async Task<(Reservation Used, Reservation Reserved)> UsedAsync(
        SqliteConnection c, SqliteTransaction tx, long userId, long exceptPending)
    {
        var used = await c.QuerySingleAsync<Reservation>("""
            SELECT COUNT(*) AS instances, COALESCE(SUM(vcpu), 0) AS vcpu, COALESCE(SUM(memory), 0) AS memory,
                   COALESCE(SUM(disk_size), 0) AS disk
            FROM cvms WHERE user_id = @id AND status NOT IN ('gone', 'removing')
            """, new { id = userId }, tx);
        return (used, await PendingStore.ReservedAsync(c, tx, userId, exceptPending));
    }

    /// <summary>The authoritative check, in the commit's transaction, against the user's current balance and tier.</summary>
    internal static async Task EnsureAllowedAsync(
        SqliteConnection c, SqliteTransaction tx, TeehouseConfig config, UserRecord user, QuotaRequest wanted, long exceptPending)
    {
        if (user.IsAdmin) return;
        var now = await UserStore.FindByIdAsync(c, tx, user.Id) ?? throw ApiException.Forbidden("Your user no longer exists");
        if (now.IsAdmin) return;
        if (Credits.ParseStored(now.CreditBalance) + Credits.ParseStored(now.GrantedBalance) <= 0)
            throw ApiException.Forbidden("Your credit balance is 0; ask the operator to add credits (teehouse user set-credits)");
        if (wanted == QuotaRequest.None) return;

        var tierName = config.Tiers.ContainsKey(now.Tier) ? now.Tier : "FREE";
        if (!config.Tiers.TryGetValue(tierName, out var tier)) return;
        var (used, reserved) = await UsedAsync(c, tx, now.Id, exceptPending);

        Check(tier.MaxInstances, used.Instances + reserved.Instances, wanted.Instances, "CVMs", "");
        Check(tier.MaxVcpu, used.Vcpu + reserved.Vcpu, wanted.Vcpu, "vCPUs", "");
        Check(tier.MaxMemory, used.Memory + reserved.Memory, wanted.MemoryMb, "memory", " MB");
        Check(tier.MaxDisk, used.Disk + reserved.Disk, wanted.DiskGb, "disk", " GB");

        void Check(int? limit, long inUse, long more, string what, string unit)
        {
            if (more > 0 && limit is { } max && inUse + more > max)
                throw ApiException.Forbidden(
                    $"The {tierName} tier allows {max}{unit} of {what}; you use {inUse}{unit} and asked for {more}{unit} more");
        }
    }
}
