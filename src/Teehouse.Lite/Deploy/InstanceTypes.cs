namespace Teehouse.Lite.Deploy;

public sealed record InstanceType(string Id, int Vcpu, int MemoryMb, int DefaultDiskGb);

/// <summary>The instance types a deploy may name (the SDK sends "tdx.small" when no size is given).</summary>
public static class InstanceTypes
{
    public static readonly IReadOnlyList<InstanceType> All =
    [
        new("tdx.small", 1, 2048, 20),
        new("tdx.medium", 2, 4096, 40),
        new("tdx.large", 4, 8192, 80),
        new("tdx.xlarge", 8, 16384, 160),
        new("tdx.2xlarge", 16, 32768, 320),
    ];

    public static InstanceType? Find(string? id) => All.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase));
}
