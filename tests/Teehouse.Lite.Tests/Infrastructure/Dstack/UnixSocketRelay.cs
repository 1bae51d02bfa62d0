using System.Net;
using System.Net.Sockets;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// Listens on a unix domain socket and pipes every connection to a TCP port on 127.0.0.1, so a dstack-vmm that only
/// speaks TCP (the simulator) can be reached as <c>unix:/path/vmm.sock</c>, as a real one configured with
/// <c>address = "unix:./vmm.sock"</c> would be.
/// </summary>
public sealed class UnixSocketRelay : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly int _tcpPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public UnixSocketRelay(string socketPath, int tcpPort)
    {
        SocketPath = socketPath;
        _tcpPort = tcpPort;
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(16);
        _loop = AcceptLoopAsync();
    }

    public string SocketPath { get; }

    public int Connections { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
        File.Delete(SocketPath);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptAsync(_stop.Token);
            Connections++;
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var unix = new NetworkStream(client, ownsSocket: true);
        try
        {
            await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _tcpPort), _stop.Token);
            using var tcp = new NetworkStream(upstream, ownsSocket: false);
            var up = PumpAsync(unix, tcp, upstream);
            var down = PumpAsync(tcp, unix, client);
            await Task.WhenAll(up, down);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away.
        }
    }

    private async Task PumpAsync(Stream from, Stream to, Socket toSocket)
    {
        await from.CopyToAsync(to, _stop.Token);
        toSocket.Shutdown(SocketShutdown.Send);
    }
}
