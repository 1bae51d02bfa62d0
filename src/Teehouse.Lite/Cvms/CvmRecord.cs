namespace Teehouse.Lite.Cvms;

/// <summary>A row of the cvms table.</summary>
public sealed class CvmRecord
{
    public long Id { get; set; }
    public long TeepodId { get; set; }
    public string VmUuid { get; set; } = "";
    public string AppId { get; set; } = "";
    public string? InstanceId { get; set; }
    public string Name { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Uptime { get; set; }
    public string? Image { get; set; }
    public string? ImageVersion { get; set; }
    public long? Vcpu { get; set; }
    public long? Memory { get; set; }
    public long? DiskSize { get; set; }
    public string? ComposeHash { get; set; }
    public long? UserId { get; set; }
    public string? Username { get; set; }
    public bool Listed { get; set; }
    public bool InProgress { get; set; }
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public string? LastSyncedAt { get; set; }
    public string? GoneAt { get; set; }
}

public static class CvmStatus
{
    /// <summary>The VM no longer exists on its teepod (removed outside Teehouse Lite); the row is kept, not deleted.</summary>
    public const string Gone = "gone";
}
