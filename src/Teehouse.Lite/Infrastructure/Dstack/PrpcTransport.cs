using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// pRPC over HTTP as dstack's ra-rpc serves it: <c>POST {base}/prpc/{Method}?json</c> with a JSON body, 200 with the
/// JSON response, 400 with <c>{"error": "..."}</c>. Every call runs under the request timeout; the caller's own
/// cancellation surfaces as <see cref="OperationCanceledException"/>, every other failure as a <see cref="DstackException"/>.
/// </summary>
internal sealed class PrpcTransport
{
    /// <summary>Status of a host with thousands of VMs with full configurations fits comfortably.</summary>
    internal const long MaxResponseBytes = 64L * 1024 * 1024;

    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxQuotedChars = 200;
    private const int MaxRemoteMessageChars = 1000;

    private readonly HttpClient _http;
    private readonly DstackEndpoint _endpoint;
    private readonly DstackPeer _peer;
    private readonly VmmCredentials? _credentials;
    private readonly TimeSpan _timeout;

    public PrpcTransport(HttpClient http, DstackEndpoint endpoint, DstackPeer peer, VmmCredentials? credentials, TimeSpan timeout)
    {
        _http = http;
        _endpoint = endpoint;
        _peer = peer;
        _credentials = credentials;
        _timeout = timeout;
    }

    public DstackPeer Peer => _peer;

    /// <summary>Identifies a plain Status page of this peer, for <see cref="StatusFlights"/>.</summary>
    public FlightKey StatusKey(bool brief, int page, int pageSize) =>
        new(_endpoint.Display, _peer.Label, _credentials?.Identity, brief, page, pageSize);

    /// <summary>Calls a method and reads its JSON response message.</summary>
    public Task<TResponse> CallAsync<TRequest, TResponse>(
        string method,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken ct)
        where TResponse : class =>
        SendPrpcAsync(method, JsonSerializer.SerializeToUtf8Bytes(request, requestType), async (stream, token) =>
            await JsonSerializer.DeserializeAsync(stream, responseType, token).ConfigureAwait(false)
            ?? throw new JsonException("the response is JSON null"), ct);

    /// <summary>Calls a method that returns <c>google.protobuf.Empty</c>: accepts <c>null</c>, <c>{}</c> or an empty body.</summary>
    public Task CallEmptyAsync<TRequest>(string method, TRequest request, JsonTypeInfo<TRequest> requestType, CancellationToken ct) =>
        SendPrpcAsync(method, JsonSerializer.SerializeToUtf8Bytes(request, requestType), ReadEmptyAsync, ct);

    /// <summary><c>GET {base}/{pathAndQuery}</c> returning the body as a stream once the headers arrived (the timeout covers only that).</summary>
    public async Task<Stream> OpenStreamAsync(string method, string pathAndQuery, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        HttpResponseMessage? response = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{_endpoint.BaseUrl}/{pathAndQuery}");
            Authorize(request);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(method, response, plainTextErrors: true, timeout.Token).ConfigureAwait(false);
            }

            var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            var stream = new ResponseStream(response, body);
            response = null;
            return stream;
        }
        catch (Exception e) when (Translate(method, e, ct, timeout) is { } translated)
        {
            throw translated;
        }
        finally
        {
            response?.Dispose();
        }
    }

    private async Task<T> SendPrpcAsync<T>(string method, byte[] body, Func<Stream, CancellationToken, ValueTask<T>> read, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{_endpoint.BaseUrl}/prpc/{method}?json") { Content = content };
            Authorize(request);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(method, response, plainTextErrors: false, timeout.Token).ConfigureAwait(false);
            }

            var status = (int)response.StatusCode;
            if (response.Content.Headers.ContentLength is > MaxResponseBytes)
            {
                throw TooLarge(method, status);
            }

            await using var stream = new BoundedReadStream(
                await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false), MaxResponseBytes);
            try
            {
                return await read(stream, timeout.Token).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw new DstackException(
                    DstackFailure.BadResponse,
                    $"{_peer.Label}: {method} returned HTTP {status} with a body that is not the expected JSON ({Shorten(e.Message, MaxQuotedChars)}): {Quote(stream.Head)}",
                    $"{_peer.PublicLabel} answered {method} with a body that is not the expected JSON",
                    method,
                    status);
            }
            catch (ResponseTooLargeException)
            {
                throw TooLarge(method, status);
            }
        }
        catch (Exception e) when (Translate(method, e, ct, timeout) is { } translated)
        {
            throw translated;
        }
    }

    private static async ValueTask<bool> ReadEmptyAsync(Stream stream, CancellationToken ct)
    {
        // An Empty result is JSON null (serde unit), though {} and an empty body are seen too.
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return true;
        }

        using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        return doc.RootElement.ValueKind is JsonValueKind.Null or JsonValueKind.Object
            ? true
            : throw new JsonException($"expected null or an object, found {doc.RootElement.ValueKind}");
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (_credentials is not null)
        {
            request.Headers.Authorization = _credentials.Header();
        }
    }

    /// <summary>Maps a transport-level exception to what the caller sees; null lets it through unchanged.</summary>
    private Exception? Translate(string method, Exception e, CancellationToken ct, CancellationTokenSource timeout)
    {
        switch (e)
        {
            case DstackException:
                return null;
            case OperationCanceledException when ct.IsCancellationRequested:
                // The caller gave up: not a failure of the peer.
                return new OperationCanceledException($"{method} was cancelled", e, ct);
            case OperationCanceledException:
                return Timeout(method);
            case HttpRequestException http when IsMalformedResponse(http):
                return new DstackException(
                    DstackFailure.BadResponse,
                    $"{_peer.Label}: {method} got a malformed HTTP response: {Reason(http)}",
                    $"{_peer.PublicLabel} sent a malformed HTTP response to {method}",
                    method);
            case HttpRequestException http:
                return Unreachable(method, Reason(http));
            case IOException when timeout.IsCancellationRequested:
                // A read aborted by our own timeout can surface as an IOException.
                return Timeout(method);
            case IOException io:
                return Unreachable(method, $"the connection broke while reading the response: {Reason(io)}");
            case SocketException socket:
                return Unreachable(method, socket.Message);
            default:
                return null;
        }
    }

    private static bool IsMalformedResponse(HttpRequestException e) => e.HttpRequestError is
        HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.ConfigurationLimitExceeded
        or HttpRequestError.VersionNegotiationError or HttpRequestError.ExtendedConnectNotSupported;

    /// <summary>The most specific reason: "no socket at …", the socket error ("Connection refused"), or the TLS failure.</summary>
    private static string Reason(Exception e)
    {
        var innermost = e;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is UnixSocketMissingException or SocketException)
            {
                return inner.Message;
            }

            innermost = inner;
        }

        return e is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } && innermost != e
            ? $"TLS handshake failed: {innermost.Message}"
            : e.Message;
    }

    private async Task<DstackException> FailureAsync(string method, HttpResponseMessage response, bool plainTextErrors, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var hint = _peer.CredentialsHint is { } h ? $"; {h}" : "";
            return new DstackException(
                DstackFailure.Unauthorized,
                $"{_peer.Label}: the {_peer.ServiceName} rejected our credentials (HTTP {status}){hint}",
                $"{_peer.PublicLabel} rejected our credentials on {method}",
                method,
                status);
        }

        var body = await ReadPrefixAsync(response, MaxErrorBodyBytes, ct).ConfigureAwait(false);
        if (!plainTextErrors && status == 400 && TryReadPrpcError(body) is { } error)
        {
            // Up to 0.5.5 ra-rpc answers anyhow's Debug form ("outer\n\nCaused by:\n    0: …"); the details keep its
            // first line, as later releases' one-line form does, and the whole text stays in RemoteMessage for the log.
            var headline = FirstLine(error);
            return new DstackException(
                DstackFailure.RemoteError,
                $"{_peer.Label}: {method} failed: {Shorten(headline, MaxRemoteMessageChars)}",
                Refused(method, headline),
                method,
                status,
                error);
        }

        if (plainTextErrors && status is 400 or 404 && body.Length > 0 && !LooksLikeHtml(body))
        {
            // /logs answers "VM not found" (404) or "Unknown channel <ch>" (400) as text/plain.
            var text = Encoding.UTF8.GetString(body).Trim();
            return new DstackException(
                DstackFailure.RemoteError,
                $"{_peer.Label}: {method} failed: {Shorten(Sanitize(text), MaxRemoteMessageChars)} (HTTP {status})",
                Refused(method, text),
                method,
                status,
                text);
        }

        var hint404 = status == 404 ? " (is the URL right?)" : "";
        return new DstackException(
            DstackFailure.BadResponse,
            $"{_peer.Label}: {method} failed with HTTP {status}{hint404}: {Quote(body)}",
            $"{_peer.PublicLabel} answered {method} with HTTP {status}",
            method,
            status);
    }

    internal static string FirstLine(string text)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var trimmed = line.Trim();
            if (!trimmed.IsEmpty) return trimmed.ToString();
        }
        return text.Trim();
    }

    private static string? TryReadPrpcError(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String
                    ? error.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadPrefixAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[limit];
        var total = 0;
        int read;
        while (total < limit && (read = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0)
        {
            total += read;
        }

        return buffer[..total];
    }

    private static bool LooksLikeHtml(byte[] body) => body.AsSpan().TrimStart(" \t\r\n"u8).StartsWith("<"u8);

    // The socket-level reason ("no socket at /run/…", "Connection refused (10.0.0.5:9080)") is about our network, not
    // the caller's request: admins get it, users only learn that the peer is down.
    private DstackException Unreachable(string method, string reason) =>
        new(DstackFailure.Unreachable, $"{_peer.Label} is unreachable: {reason}", $"{_peer.PublicLabel} is unreachable", method);

    private DstackException Timeout(string method) =>
        new(DstackFailure.Timeout, $"{_peer.Label} did not answer {method} within {(long)_timeout.TotalMilliseconds} ms",
            $"{_peer.PublicLabel} timed out on {method}", method);

    private DstackException TooLarge(string method, int status) =>
        new(DstackFailure.BadResponse, $"{_peer.Label}: {method} returned more than {MaxResponseBytes / (1024 * 1024)} MiB",
            $"{_peer.PublicLabel} answered {method} with more than {MaxResponseBytes / (1024 * 1024)} MiB", method, status);

    // The service's own words usually say what was wrong with the request ("VM not found"), which the caller needs;
    // they can also quote its paths and peers, hence the scrubber.
    private string Refused(string method, string remote) =>
        $"{_peer.PublicLabel} refused {method}: {Shorten(DetailScrubber.Scrub(Sanitize(remote)), MaxRemoteMessageChars)}";

    /// <summary>At most ~200 characters of a body, control characters flattened, quoted; never the whole thing.</summary>
    internal static string Quote(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return "(empty body)";
        }

        var take = body[..Math.Min(body.Length, MaxQuotedChars * 4)];
        var text = Encoding.UTF8.GetString(take);
        return $"\"{Shorten(Sanitize(text), MaxQuotedChars, truncated: take.Length < body.Length)}\"";
    }

    private static string Sanitize(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                if (!space)
                {
                    sb.Append(' ');
                }

                space = true;
            }
            else
            {
                sb.Append(c);
                space = false;
            }
        }

        return sb.ToString().Trim();
    }

    private static string Shorten(string text, int max, bool truncated = false) =>
        text.Length > max ? text[..max] + "…" : truncated ? text + "…" : text;
}
