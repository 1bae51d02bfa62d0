namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// How a peer is named in error details. <see cref="Label"/> (full detail, for logs and admins) carries the address,
/// e.g. <c>teepod 'tdx-1' (http://10.0.0.5:9080)</c>; <see cref="PublicLabel"/> never does, e.g. <c>teepod 'tdx-1'</c>.
/// </summary>
internal sealed record DstackPeer(string Label, string PublicLabel, string ServiceName, string? CredentialsHint)
{
    public const string DefaultVmmLabel = "the teepod";
    public const string DefaultKmsLabel = "the KMS";
    public const string DefaultGatewayLabel = "the gateway";

    public static DstackPeer Vmm(string endpoint, string? label) =>
        new(Full("teepod", endpoint, label), label ?? DefaultVmmLabel, "dstack-vmm", "check the teepod's token");

    public static DstackPeer Kms(string url, string? label) =>
        new(Full("KMS", url, label), label ?? DefaultKmsLabel, "KMS", null);

    public static DstackPeer Gateway(string url, string? label) =>
        new(Full("gateway", url, label), label ?? DefaultGatewayLabel, "gateway", null);

    // Unlabelled clients keep the historical "teepod http://…" form, so their logs read as before.
    private static string Full(string kind, string address, string? label) =>
        string.IsNullOrWhiteSpace(label) ? $"{kind} {address}" : $"{label} ({address})";
}
