namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>Typed client for a dstack-gateway's public <c>Info</c> RPC.</summary>
public sealed class GatewayClient
{
    private readonly PrpcTransport _transport;

    internal GatewayClient(string url, PrpcTransport transport)
    {
        Url = url;
        _transport = transport;
    }

    /// <summary>The gateway base URL as given.</summary>
    public string Url { get; }

    public Task<GatewayInfo> InfoAsync(CancellationToken ct = default) =>
        _transport.CallAsync("Info", EmptyMessage.Instance, DstackJsonContext.Default.EmptyMessage, DstackJsonContext.Default.GatewayInfo, ct);
}
