using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Hosting;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>A real KMS serves HTTPS with a certificate from its own CA; we must still be able to read its public facts.</summary>
public sealed class RaTlsTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kms.local", key, HashAlgorithmName.SHA256);
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    private static async Task<WebApplication> StartHttpsAsync(X509Certificate2 cert)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.UseHttps(cert)));
        var app = builder.Build();
        app.MapPost("/prpc/GetMeta", () => Results.Text("""{"ca_cert":"-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n","allow_any_upgrade":false,"k256_pubkey":"02aa","is_dev":true}""", "application/json"));
        app.MapPost("/prpc/Version", () => Results.Text("""{"version":"0.5.5","rev":"git:x"}""", "application/json"));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    [Fact(Timeout = 30_000)]
    public async Task The_kms_is_read_over_https_with_its_own_ca_but_the_vmm_is_still_verified()
    {
        await using var server = await StartHttpsAsync(SelfSigned());
        var url = server.BoundAddress().ToString().TrimEnd('/');
        Assert.StartsWith("https://", url);
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));

        var meta = await factory.Kms(url).GetMetaAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", meta.CaCert);
        Assert.True(meta.IsDev);

        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(url).VersionAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DstackFailure.Unreachable, e.Failure);
        Assert.Contains("TLS", e.FullDetail);
    }
}
