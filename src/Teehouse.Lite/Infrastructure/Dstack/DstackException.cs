using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>Why a call to a dstack-vmm, KMS or gateway failed.</summary>
public enum DstackFailure
{
    /// <summary>No connection: refused, host unreachable, DNS failure, missing unix socket, connection dropped.</summary>
    Unreachable,

    /// <summary>No complete answer within the request timeout.</summary>
    Timeout,

    /// <summary>The service answered with its own error (<c>{"error": "..."}</c>, HTTP 400); see <see cref="DstackException.RemoteMessage"/>.</summary>
    RemoteError,

    /// <summary>An answer that is not what the protocol promises: unexpected status, or a body that is not the expected JSON.</summary>
    BadResponse,

    /// <summary>HTTP 401/403: the service refused our credentials (or their absence).</summary>
    Unauthorized,
}

/// <summary>
/// A failed dstack call. It is an <see cref="ApiException"/>: 504 for <see cref="DstackFailure.Timeout"/>, 502 otherwise,
/// with a detail that names the peer and the method and never contains the auth token.
/// </summary>
public sealed class DstackException(
    DstackFailure failure,
    string detail,
    string method,
    int? httpStatus = null,
    string? remoteMessage = null)
    : ApiException(failure == DstackFailure.Timeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway, detail)
{
    public DstackFailure Failure { get; } = failure;

    /// <summary>The service's own error text (the <c>error</c> field) when <see cref="Failure"/> is <see cref="DstackFailure.RemoteError"/>.</summary>
    public string? RemoteMessage { get; } = remoteMessage;

    /// <summary>The pRPC method (or <c>Logs</c>) that failed.</summary>
    public string Method { get; } = method;

    /// <summary>The HTTP status the service answered with, when it answered at all.</summary>
    public int? HttpStatus { get; } = httpStatus;
}
