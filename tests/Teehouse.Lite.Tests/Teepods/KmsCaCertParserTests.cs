using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Tests.Teepods;

public sealed class KmsCaCertParserTests
{
    private static (string Pem, X509Certificate2 Cert) MakeCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Dstack KMS CA, O=Dstack, C=US, S=CA, L=San Francisco", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("kms.local");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var cert = request.CreateSelfSigned(new DateTimeOffset(2025, 7, 4, 4, 41, 34, TimeSpan.Zero),
            new DateTimeOffset(2035, 7, 4, 4, 41, 34, TimeSpan.Zero));
        return (cert.ExportCertificatePem(), cert);
    }

    [Fact]
    public void A_ca_certificate_is_described_field_by_field()
    {
        var (pem, cert) = MakeCa();
        var info = KmsCaCertParser.TryParse(pem)!;

        Assert.Equal("Dstack KMS CA", info.Subject.CommonName);
        Assert.Equal("Dstack", info.Subject.Organization);
        Assert.Equal("US", info.Subject.Country);
        Assert.Equal("CA", info.Subject.State);
        Assert.Equal("San Francisco", info.Subject.Locality);
        Assert.Equal("Dstack KMS CA", info.Issuer.CommonName);
        Assert.Equal(cert.SerialNumber.ToLowerInvariant(), info.SerialNumber);
        Assert.Equal("2025-07-04T04:41:34Z", info.NotBefore);
        Assert.Equal("2035-07-04T04:41:34Z", info.NotAfter);
        Assert.Equal("v3", info.Version);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(cert.RawData)), info.Fingerprint);
        Assert.Equal("sha256ECDSA", info.SignatureAlgorithm);
        Assert.Equal(["kms.local", "127.0.0.1"], info.Sans);
        Assert.True(info.IsCa);
        Assert.Equal(0, info.PositionInChain);
        Assert.Null(info.Quote);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a certificate")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public void Anything_else_is_null(string? pem) => Assert.Null(KmsCaCertParser.TryParse(pem));
}
