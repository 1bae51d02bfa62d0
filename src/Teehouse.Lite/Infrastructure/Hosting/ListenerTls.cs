using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// HTTPS from <c>[server] tls_cert</c>/<c>tls_key</c> (PEM files), and the warning for plain HTTP beyond loopback,
/// where API tokens would cross the network in the clear.
/// </summary>
public static class ListenerTls
{
    /// <summary>The certificate with its private key, or null for plain HTTP; a bad file is a one-line config error.</summary>
    public static X509Certificate2? Load(ServerConfig server)
    {
        if (string.IsNullOrEmpty(server.TlsCert) || string.IsNullOrEmpty(server.TlsKey)) return null;
        var certPem = Read("server.tls_cert", server.TlsCert);
        var keyPem = Read("server.tls_key", server.TlsKey);
        try { using var _ = X509Certificate2.CreateFromPem(certPem); }
        catch (CryptographicException e)
        {
            throw new ConfigException($"server.tls_cert: {server.TlsCert} holds no PEM certificate ({e.Message.TrimEnd('.')})");
        }
        try
        {
            return X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new ConfigException($"server.tls_key: {server.TlsKey} holds no PEM private key for the certificate in {server.TlsCert} ({e.Message.TrimEnd('.')})");
        }
    }

    /// <summary>One line for stderr when the server speaks plain HTTP on an address other hosts can reach; else null.</summary>
    public static string? PlainHttpWarning(ListenAddress listen, bool tls)
    {
        if (tls || IsLoopback(listen)) return null;
        return $"warning: serving plain HTTP on {StartupErrors.Display(listen)}, beyond loopback: API tokens travel in the clear; " +
               "set [server] tls_cert and tls_key, or put a TLS proxy in front";
    }

    public static bool IsLoopback(ListenAddress listen) =>
        listen.Host == "localhost" || (IPAddress.TryParse(listen.Host, out var ip) && IPAddress.IsLoopback(ip));

    private static string Read(string key, string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "file not found",
                UnauthorizedAccessException => $"not readable by user {FileOwner.CurrentUser}",
                _ => e.Message,
            };
            throw new ConfigException($"{key}: cannot read {path}: {reason}");
        }
    }
}
