using Dapper;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Deploy;

public sealed class UsageRow
{
    public int Instances { get; set; }
    public long Vcpu { get; set; }
    public long Memory { get; set; }
    public long Disk { get; set; }
}

/// <summary>
/// The tier limits of [tiers.&lt;TIER&gt;] count everything a user runs (live CVMs: not gone or being removed), and a
/// user needs a positive credit balance to create. Admins, the operator, are not limited.
/// </summary>
public sealed class Quota(Db db, TeehouseConfig config)
{
    public async Task EnsureAllowedAsync(UserRecord user, int vcpu, int memoryMb, int diskGb)
    {
        if (user.IsAdmin) return;
        if (Credits.ParseStored(user.CreditBalance) + Credits.ParseStored(user.GrantedBalance) <= 0)
            throw ApiException.Forbidden("Your credit balance is 0; ask the operator to add credits (teehouse user set-credits)");

        var tierName = config.Tiers.ContainsKey(user.Tier) ? user.Tier : "FREE";
        var tier = config.Tiers[tierName];
        await using var c = await db.OpenAsync();
        var used = await c.QuerySingleAsync<UsageRow>("""
            SELECT COUNT(*) AS instances, COALESCE(SUM(vcpu), 0) AS vcpu, COALESCE(SUM(memory), 0) AS memory,
                   COALESCE(SUM(disk_size), 0) AS disk
            FROM cvms WHERE user_id = @id AND status NOT IN ('gone', 'removing')
            """, new { id = user.Id });

        Check(tier.MaxInstances, used.Instances, 1, "CVMs", "");
        Check(tier.MaxVcpu, used.Vcpu, vcpu, "vCPUs", "");
        Check(tier.MaxMemory, used.Memory, memoryMb, "memory", " MB");
        Check(tier.MaxDisk, used.Disk, diskGb, "disk", " GB");

        void Check(int? limit, long inUse, long wanted, string what, string unit)
        {
            if (limit is { } max && inUse + wanted > max)
                throw ApiException.Forbidden(
                    $"The {tierName} tier allows {max}{unit} of {what}; you use {inUse}{unit} and asked for {wanted}{unit} more");
        }
    }
}
