using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Teehouse.Lite.Tests.Packaging;

namespace Teehouse.Lite.Tests.Hosting;

/// <summary>[server] tls_cert/tls_key: the real binary serves HTTPS with the operator's PEM files, or says which file is wrong.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsServeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=teehouse.test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private void Config(int port, string tls) => File.WriteAllText(_dir.File("teehouse.toml"), $"""
        [server]
        listen = "127.0.0.1:{port}"
        {tls}
        [log]
        file = ""
        """);

    [Fact(Timeout = 90_000)]
    public async Task The_server_speaks_https_with_the_configured_certificate()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cert = SelfSigned();
        File.WriteAllText(_dir.File("cert.pem"), cert.ExportCertificatePem());
        File.WriteAllText(_dir.File("key.pem"), cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var port = ChildProcess.FreePort();
        Config(port, "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"");

        using var server = ServeProcess.Start(_dir.Path, false, "serve");
        // Trust exactly this certificate, as a client given the operator's CA would: the chain and the name are checked.
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, errors) =>
            {
                if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(cert);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(presented) && presented.Thumbprint == cert.Thumbprint;
            },
        };
        using var https = new HttpClient(handler);
        await server.WaitUntilHealthyAsync(https, $"https://127.0.0.1:{port}/healthz", ct);
        Assert.Contains($"listening on https://127.0.0.1:{port}", server.Out);
        Assert.Equal("", server.Err);

        // Plain HTTP on the same port is not served.
        using var plain = new HttpClient();
        var plainAnswered = false;
        try
        {
            using var answer = await plain.GetAsync($"http://127.0.0.1:{port}/healthz", ct);
            plainAnswered = answer.IsSuccessStatusCode;
        }
        catch (HttpRequestException) { } // Kestrel drops a connection that does not start with a TLS handshake
        Assert.False(plainAnswered);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_certificate_without_its_key_is_a_config_error()
    {
        var ct = TestContext.Current.CancellationToken;
        Config(ChildProcess.FreePort(), "tls_cert = \"cert.pem\"");
        var (code, stdout, stderr) = await ServeProcess.RunAsync(ct, _dir.Path, false, "serve");
        ServeProcess.AssertOneLine($"teehouse: {_dir.File("teehouse.toml")}: server.tls_cert and server.tls_key: set both (HTTPS) or neither (plain HTTP)", stderr, stdout);
        Assert.Equal(2, code);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_missing_or_unreadable_pem_file_is_named()
    {
        var ct = TestContext.Current.CancellationToken;
        Config(ChildProcess.FreePort(), "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"");
        var missing = await ServeProcess.RunAsync(ct, _dir.Path, false, "serve");
        ServeProcess.AssertOneLine($"teehouse: server.tls_cert: cannot read {_dir.File("cert.pem")}: file not found", missing.Err, missing.Out);
        Assert.Equal(2, missing.ExitCode);

        using var cert = SelfSigned();
        File.WriteAllText(_dir.File("cert.pem"), cert.ExportCertificatePem());
        File.WriteAllText(_dir.File("key.pem"), "not a key\n");
        var badKey = await ServeProcess.RunAsync(ct, _dir.Path, false, "serve");
        Assert.Equal(2, badKey.ExitCode);
        Assert.Single(badKey.Err.Replace("\r", "").TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"teehouse: server.tls_key: {_dir.File("key.pem")} holds no PEM private key for the certificate in {_dir.File("cert.pem")}", badKey.Err);

        File.WriteAllText(_dir.File("cert.pem"), "garbage\n");
        var badCert = await ServeProcess.RunAsync(ct, _dir.Path, false, "serve");
        Assert.Equal(2, badCert.ExitCode);
        Assert.StartsWith($"teehouse: server.tls_cert: {_dir.File("cert.pem")} holds no PEM certificate", badCert.Err);
        Assert.DoesNotContain("   at ", badCert.Err + badCert.Out);
    }
}
