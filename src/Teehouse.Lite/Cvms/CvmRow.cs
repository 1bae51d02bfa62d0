using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// The one row type of the cvms table, joined with what the contract shows of its teepod (and what it takes to call
/// its vmm). Import, reconcile, the routes and the operations all read and write this shape. Rows read for a list
/// (<c>CvmStore.ListSelect</c>) leave the teepod's endpoint and credentials empty: they never reach a vmm client.
/// </summary>
public sealed class CvmRow
{
    public long Id { get; set; }
    public string HashedId { get; set; } = "";
    public long TeepodId { get; set; }
    public string VmUuid { get; set; } = "";
    public string AppId { get; set; } = "";
    public string? InstanceId { get; set; }
    public string Name { get; set; } = "";
    public string Status { get; set; } = "";
    /// <summary>The uptime text as last seen; shown as is only when <see cref="StartedAt"/> is unknown.</summary>
    public string? Uptime { get; set; }

    /// <summary>When the VM's process started (unix seconds), see <see cref="VmUptime"/>.</summary>
    public long? StartedAt { get; set; }
    public string? Image { get; set; }
    public string? ImageVersion { get; set; }
    public long? Vcpu { get; set; }
    public long? Memory { get; set; }
    public long? DiskSize { get; set; }
    public string? ComposeHash { get; set; }
    public bool? KmsEnabled { get; set; }
    public string? EnvPubkey { get; set; }
    public long? UserId { get; set; }
    public string? Username { get; set; }
    public bool Listed { get; set; }
    public bool InProgress { get; set; }
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public string? LastSyncedAt { get; set; }
    public string? GoneAt { get; set; }
    public string? ProgressOperation { get; set; }
    public string? ProgressTarget { get; set; }
    public string? ProgressStartedAt { get; set; }
    public string? ProgressCorrelationId { get; set; }

    public string TeepodName { get; set; } = "";
    public string TeepodEndpoint { get; set; } = "";
    public string? TeepodAuthToken { get; set; }
    public string? TeepodAuthUsername { get; set; }
    public string? TeepodAuthPassword { get; set; }
    public string? TeepodRegion { get; set; }
    public string? TeepodStatus { get; set; }
    public string? TeepodVersion { get; set; }
    public string? TeepodKmsUrl { get; set; }
    public string? GatewayBaseDomain { get; set; }
    public long? GatewayPort { get; set; }
    public long? GatewayAgentPort { get; set; }
    public string TeepodImagesJson { get; set; } = "[]";

    /// <summary>The uptime the vmm would report at <paramref name="now"/>.</summary>
    public string? UptimeAt(DateTimeOffset now) => StartedAt is { } started ? VmUptime.At(started, now) : Uptime;
}

public static class CvmStatus
{
    /// <summary>The VM no longer exists on its teepod (removed outside Teehouse Lite); the row is kept, not deleted.</summary>
    public const string Gone = "gone";

    public const string Removing = "removing";
}

/// <summary>Who is asking: a user sees only the CVMs whose user_id is theirs, an admin every one.</summary>
public readonly record struct CvmScope(long? OwnerId)
{
    public static CvmScope Everyone => new(null);
}
