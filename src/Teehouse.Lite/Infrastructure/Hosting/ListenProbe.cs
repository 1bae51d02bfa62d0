using System.Net;
using System.Net.Sockets;
using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// Binds the address once before the host is built: a port in use, an address this host does not have or a
/// privileged port is then one line, before any background service has started (Kestrel's own failure comes only
/// after the host started them, wrapped in three exceptions).
/// </summary>
public static class ListenProbe
{
    public static void EnsureBindable(ListenAddress listen)
    {
        if (listen.Port == 0) return; // any free port: nothing to check
        var ip = listen.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(listen.Host);
        using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(ip, listen.Port));
            socket.Listen();
        }
        catch (SocketException e)
        {
            throw StartupErrors.Listen(listen, e);
        }
    }
}
