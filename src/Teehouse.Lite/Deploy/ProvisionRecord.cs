namespace Teehouse.Lite.Deploy;

/// <summary>A row of the provisions table.</summary>
public sealed class ProvisionRecord
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public long TeepodId { get; set; }
    public string AppId { get; set; } = "";
    public string ComposeHash { get; set; } = "";
    public string ComposeFile { get; set; } = "";
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public long Vcpu { get; set; }
    public long Memory { get; set; }
    public long DiskSize { get; set; }
    public string? InstanceType { get; set; }
    public bool Listed { get; set; }
    public string? KmsId { get; set; }
    public string CreatedAt { get; set; } = "";
    public string ExpiresAt { get; set; } = "";
    public string? CommittingAt { get; set; }
    public long? CvmId { get; set; }
}
