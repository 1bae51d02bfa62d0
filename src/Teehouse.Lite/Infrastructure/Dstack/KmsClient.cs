namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>Typed client for the public part of a dstack KMS (<c>GetMeta</c>, <c>GetAppEnvEncryptPubKey</c>).</summary>
public sealed class KmsClient
{
    private static readonly DstackJsonContext Json = DstackJsonContext.Default;
    private readonly PrpcTransport _transport;

    internal KmsClient(string url, PrpcTransport transport)
    {
        Url = url;
        _transport = transport;
    }

    /// <summary>The KMS base URL as given, e.g. <c>https://kms:8000</c>.</summary>
    public string Url { get; }

    public Task<KmsMeta> GetMetaAsync(CancellationToken ct = default) =>
        _transport.CallAsync("GetMeta", EmptyMessage.Instance, Json.EmptyMessage, Json.KmsMeta, ct);

    /// <summary>The app's X25519 env-encryption key with the KMS's signatures; <paramref name="appIdHex"/> is 40 hex chars (0x optional).</summary>
    public Task<EnvEncryptPublicKey> GetAppEnvEncryptPubKeyAsync(string appIdHex, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(appIdHex);
        return _transport.CallAsync(
            "GetAppEnvEncryptPubKey", new AppIdMessage { AppId = Hex.Normalize(appIdHex) }, Json.AppIdMessage, Json.EnvEncryptPublicKey, ct);
    }
}
