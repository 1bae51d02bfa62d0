using System.Text;
using System.Text.RegularExpressions;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// Released dstack-vmm (≤ 0.5.11, main_routes.rs <c>vm_logs</c>) answer a failed <c>GET /logs</c> with HTTP 200 and the
/// error as the whole body: <c>Unknown channel X</c> for a bad channel, or the Debug text of the tail error (an
/// <c>std::io::Error</c>: <c>Os { code: 2, kind: NotFound, … }</c>) when tail cannot be started. Only next answers
/// 404/400. (A missing VM is an empty 200: see <see cref="VmmClient.OpenLogsAsync"/>.) This looks at the first bytes: a
/// body that is one such line and then ends is that error, not a log.
/// </summary>
internal static partial class LogsErrorText
{
    private const int HeadBytes = 4096;

    /// <summary>How long to wait for the first bytes: an error is written at once, a followed quiet log may send nothing.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Returns the body to stream (the bytes read are put back in front), or throws the error it turned out to be,
    /// as a <see cref="DstackFailure.RemoteError"/> with the status next would have used (400 bad channel, 404 missing).
    /// </summary>
    public static async Task<Stream> CheckAsync(Stream body, DstackPeer peer, CancellationToken ct)
    {
        var head = new byte[HeadBytes];
        var length = 0;
        Task<int>? pending = null;
        while (length < head.Length)
        {
            pending = body.ReadAsync(head, length, head.Length - length, ct);
            if (await Task.WhenAny(pending, Task.Delay(Wait, ct)).ConfigureAwait(false) != pending) break; // quiet: a log
            var n = await pending.ConfigureAwait(false);
            pending = null;
            if (n == 0)
            {
                if (Classify(Encoding.UTF8.GetString(head, 0, length)) is { } error)
                {
                    await body.DisposeAsync().ConfigureAwait(false);
                    throw Failure(peer, error.Text, error.Status);
                }
                break;
            }
            length += n;
            if (head.AsSpan(0, length).IndexOf((byte)'\n') is var nl && nl >= 0 && nl < length - 1) break; // several lines: a log
        }
        return new PrefixedStream(head.AsMemory(0, length), pending, body);
    }

    internal static (string Text, int Status)? Classify(string body)
    {
        var text = body.Trim();
        if (text.Length == 0 || text.Contains('\n')) return null;
        if (UnknownChannel().IsMatch(text)) return (text, 400);
        if (IoErrorDebug().IsMatch(text)) return (text, 404);
        return null;
    }

    private static DstackException Failure(DstackPeer peer, string text, int status) => new(
        DstackFailure.RemoteError,
        $"{peer.Label}: Logs failed: {text} (HTTP 200 with the error as the body)",
        $"{peer.PublicLabel} refused Logs: {DetailScrubber.Scrub(text)}",
        "Logs",
        status,
        status == 404 ? $"VM not found ({text})" : text);

    [GeneratedRegex(@"^Unknown channel \S*$")]
    private static partial Regex UnknownChannel();

    // std::io::Error's Debug forms: Os { code, kind, message }, Custom { kind, error }, Kind(NotFound); as anyhow
    // would wrap them, with or without a leading context.
    [GeneratedRegex(@"(^|: )(Os \{ code: \d+, kind: \w+, message: "".*"" \}|Custom \{ kind: \w+, error: .*\}|Kind\(\w+\))$")]
    private static partial Regex IoErrorDebug();
}

/// <summary>A body whose first bytes were already read (and perhaps one read still under way): those first, then the rest.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Task<int>? pending, Stream inner) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;
    private Task<int>? _pending = pending;
    private readonly byte[]? _pendingBuffer = pending is null ? null : GetBuffer(prefix);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefix.Length == 0 && _pending is { } pending)
        {
            // The read started while peeking fills the same array right after the prefix.
            _pending = null;
            var n = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
            _prefix = _pendingBuffer.AsMemory(PrefixEnd, n);
        }
        if (_prefix.Length > 0)
        {
            var take = Math.Min(buffer.Length, _prefix.Length);
            _prefix[..take].CopyTo(buffer);
            _prefix = _prefix[take..];
            return take;
        }
        return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int PrefixEnd { get; } = prefix.Length;

    private static byte[] GetBuffer(ReadOnlyMemory<byte> prefix) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(prefix, out var segment) ? segment.Array! : throw new ArgumentException("prefix must be array-backed");
}
