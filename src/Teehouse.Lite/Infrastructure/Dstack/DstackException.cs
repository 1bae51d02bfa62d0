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

    /// <summary>It answers, but runs a release older than Teehouse Lite speaks (<see cref="VmmFeatures.Minimum"/>).</summary>
    Unsupported,
}

/// <summary>
/// A failed dstack call, told twice. <see cref="FullDetail"/> names the peer by its address and quotes what it said:
/// for logs and admins. <see cref="PublicDetail"/> names it by a label (<c>teepod 'tdx-1'</c>) and has no URL,
/// address, socket or file path, or token: for everyone else. Neither ever contains the auth token.
/// <para>
/// <see cref="Exception.Message"/> is the public detail, so code that merely shows an exception's message cannot leak
/// infrastructure; ask for <see cref="FullDetail"/> explicitly when the reader is trusted. The HTTP layer maps it to
/// 504 for <see cref="DstackFailure.Timeout"/>, 409 for <see cref="DstackFailure.Unsupported"/> and 502 otherwise.
/// </para>
/// </summary>
public sealed class DstackException(
    DstackFailure failure,
    string fullDetail,
    string publicDetail,
    string method,
    int? httpStatus = null,
    string? remoteMessage = null)
    : Exception(publicDetail)
{
    public DstackFailure Failure { get; } = failure;

    /// <summary>Peer address, method and the peer's own words: for logs and admins only.</summary>
    public string FullDetail { get; } = fullDetail;

    /// <summary>Safe to show any caller (same as <see cref="Exception.Message"/>).</summary>
    public string PublicDetail => Message;

    /// <summary>The service's own error text (the <c>error</c> field) when <see cref="Failure"/> is <see cref="DstackFailure.RemoteError"/>.</summary>
    public string? RemoteMessage { get; } = remoteMessage;

    /// <summary>
    /// <see cref="FullDetail"/> plus the service's whole error text when it spans several lines (anyhow's "Caused by"
    /// chain on releases up to 0.5.5): for the log only, since the details carry just its first line.
    /// </summary>
    public string LogDetail => RemoteMessage is { } remote && remote.AsSpan().Trim().ContainsAny('\n', '\r')
        ? $"{FullDetail} (whole error: {string.Join(" | ", remote.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))})"
        : FullDetail;

    /// <summary>The pRPC method (or <c>Logs</c>) that failed.</summary>
    public string Method { get; } = method;

    /// <summary>The HTTP status the service answered with, when it answered at all.</summary>
    public int? HttpStatus { get; } = httpStatus;
}
