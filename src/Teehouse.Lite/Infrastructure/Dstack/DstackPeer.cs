namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>How a peer is named in error details, e.g. <c>teepod http://10.0.0.5:9080</c> or <c>KMS https://kms:8000</c>.</summary>
internal sealed record DstackPeer(string Label, string ServiceName, string? CredentialsHint)
{
    public static DstackPeer Vmm(string endpoint) =>
        new($"teepod {endpoint}", "dstack-vmm", "check the teepod's token");

    public static DstackPeer Kms(string url) => new($"KMS {url}", "KMS", null);

    public static DstackPeer Gateway(string url) => new($"gateway {url}", "gateway", null);
}
