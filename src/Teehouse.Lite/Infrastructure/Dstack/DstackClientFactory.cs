using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// Makes typed clients for dstack-vmm, KMS and gateway endpoints. Holds the connection pools: one
/// <see cref="SocketsHttpHandler"/> for every TCP endpoint, and one per unix socket path. Clients are cheap; make one
/// per call site. Register the factory as a singleton and dispose it at shutdown.
/// </summary>
public sealed class DstackClientFactory : IDisposable
{
    // Rocket (dstack-vmm) closes idle keep-alive connections after 10 s: drop ours first rather than reuse a dying one.
    private static readonly TimeSpan PooledIdleTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PooledLifetime = TimeSpan.FromMinutes(5);

    private readonly TimeSpan _requestTimeout;
    private readonly HttpClient _tcp;
    private readonly HttpClient _raTls;
    private readonly ConcurrentDictionary<string, Lazy<HttpClient>> _unix = new(StringComparer.Ordinal);
    private readonly StatusFlights _statusFlights = new();
    private volatile bool _disposed;

    /// <param name="requestTimeout">Budget for each call (connect, send, complete answer); e.g. <c>vmm.request_timeout_ms</c>.</param>
    public DstackClientFactory(TimeSpan requestTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(requestTimeout, TimeSpan.Zero);
        _requestTimeout = requestTimeout;
        _tcp = NewClient(new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = PooledIdleTimeout,
            PooledConnectionLifetime = PooledLifetime,
            AllowAutoRedirect = false,
        });
        // The KMS and gateway serve HTTPS with RA-TLS certificates issued by the KMS's own root CA, which no system
        // trust store holds (dstack's own tools call them with `curl -k`). We read only public facts from them (the
        // CA certificate we display, the gateway's info); the env-encryption key they hand out is signed with the
        // KMS's k256 key, which Teehouse Lite verifies against the KMS's pin (Kms/EnvKeyCheck) before passing it on,
        // and the client can verify again. So certificate validation is skipped for these two peers only; dstack-vmm
        // connections keep full validation.
        _raTls = NewClient(new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = PooledIdleTimeout,
            PooledConnectionLifetime = PooledLifetime,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        });
    }

    public TimeSpan RequestTimeout => _requestTimeout;

    /// <summary>How many Status listing calls actually went out (calls that joined one in flight excluded): for tests.</summary>
    internal long StatusCallsStarted => _statusFlights.Started;

    /// <summary>
    /// A client for the dstack-vmm at <paramref name="endpoint"/> (<c>http(s)://host:port[/prefix]</c> or
    /// <c>unix:/path/vmm.sock</c>), sending <c>Authorization: Bearer <paramref name="authToken"/></c> when one is given.
    /// </summary>
    /// <param name="label">How the public error detail names this host, e.g. <c>teepod 'tdx-1'</c>; default "the teepod".</param>
    /// <exception cref="ArgumentException">The endpoint is not valid (see <see cref="TryValidateEndpoint"/>) or the token has control characters.</exception>
    public VmmClient Vmm(string endpoint, string? authToken = null, string? label = null) =>
        Vmm(endpoint, VmmCredentials.Bearer(authToken), label);

    /// <summary>A client for the dstack-vmm at <paramref name="endpoint"/> that sends <paramref name="credentials"/> on every request (pRPC and <c>/logs</c>).</summary>
    /// <exception cref="ArgumentException">The endpoint is not valid (see <see cref="TryValidateEndpoint"/>).</exception>
    public VmmClient Vmm(string endpoint, VmmCredentials? credentials, string? label = null)
    {
        var parsed = DstackEndpoint.Parse(endpoint, nameof(endpoint));
        var peer = DstackPeer.Vmm(parsed.Display, label) with { CredentialsHint = CredentialsHint(credentials) };
        return new VmmClient(parsed.Display, Transport(parsed, peer, credentials), flights: _statusFlights);
    }

    /// <summary>A client for the KMS at <paramref name="url"/>, e.g. <c>https://kms:8000</c>.</summary>
    /// <param name="label">How the public error detail names it, e.g. <c>KMS 'kms-1'</c>; default "the KMS".</param>
    public KmsClient Kms(string url, string? label = null)
    {
        var parsed = DstackEndpoint.Parse(url, nameof(url));
        return new KmsClient(parsed.Display, Transport(parsed, DstackPeer.Kms(parsed.Display, label), null, raTls: true));
    }

    /// <summary>A client for the dstack-gateway at <paramref name="url"/>.</summary>
    /// <param name="label">How the public error detail names it; default "the gateway".</param>
    public GatewayClient Gateway(string url, string? label = null)
    {
        var parsed = DstackEndpoint.Parse(url, nameof(url));
        return new GatewayClient(parsed.Display, Transport(parsed, DstackPeer.Gateway(parsed.Display, label), null, raTls: true));
    }

    /// <summary>
    /// Whether <paramref name="endpoint"/> can be used: an absolute http/https URL with a host (an optional path prefix,
    /// no credentials, query or fragment), or <c>unix:/absolute/path</c>. <paramref name="error"/> says what is wrong.
    /// </summary>
    public static bool TryValidateEndpoint(string endpoint, out string error) =>
        DstackEndpoint.TryParse(endpoint, out _, out error);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _tcp.Dispose();
        _raTls.Dispose();
        foreach (var client in _unix.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Dispose();
            }
        }

        _unix.Clear();
    }

    private PrpcTransport Transport(DstackEndpoint endpoint, DstackPeer peer, VmmCredentials? credentials, bool raTls = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var http = endpoint.UnixSocketPath is { } path
            ? _unix.GetOrAdd(path, static p => new Lazy<HttpClient>(() => NewClient(UnixSocketHandler(p)))).Value
            : raTls ? _raTls : _tcp;
        return new PrpcTransport(http, endpoint, peer, credentials, _requestTimeout);
    }

    // Only in the full detail (admins, logs): which of the teepod's settings a 401/403 points at.
    private static string CredentialsHint(VmmCredentials? credentials) => credentials?.Scheme == VmmCredentials.BasicScheme
        ? "check the teepod's user name and password"
        : "check the teepod's token";

    private static HttpClient NewClient(SocketsHttpHandler handler) =>
        // The per-call timeout is ours (PrpcTransport); HttpClient's would also cut off followed log streams.
        new(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    private static SocketsHttpHandler UnixSocketHandler(string path) => new()
    {
        PooledConnectionIdleTimeout = PooledIdleTimeout,
        PooledConnectionLifetime = PooledLifetime,
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = async (_, cancel) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException) when (!File.Exists(path))
            {
                socket.Dispose();
                throw new UnixSocketMissingException(path);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}

/// <summary>Connecting to <c>unix:/path</c> failed because nothing exists at the path (the vmm is not running there).</summary>
internal sealed class UnixSocketMissingException(string path) : IOException($"no socket at {path}");
