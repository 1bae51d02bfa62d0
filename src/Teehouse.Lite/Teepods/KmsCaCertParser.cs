using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Teehouse.Lite.Teepods;

/// <summary>Turns the KMS root CA (PEM, from the KMS's GetMeta) into the contract's <c>kms_ca_cert</c> object.</summary>
public static class KmsCaCertParser
{
    // dstack's RA-TLS certificates carry the TDX quote in this extension (ra-tls crate, PHALA_RATLS_QUOTE).
    private const string RaTlsQuoteOid = "1.3.6.1.4.1.62397.1.1";

    /// <summary>The first certificate of the PEM text, or null when there is none or it does not parse.</summary>
    public static KmsCaCertInfo? TryParse(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem)) return null;
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(pem);
            return chain.Count == 0 ? null : Describe(chain[0], 0);
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            // Each certificate holds a native OpenSSL handle until disposed; the finaliser would free it only eventually.
            foreach (var cert in chain) cert.Dispose();
        }
    }

    private static KmsCaCertInfo Describe(X509Certificate2 cert, int position)
    {
        var basic = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        return new KmsCaCertInfo(
            Name(cert.SubjectName),
            Name(cert.IssuerName),
            cert.SerialNumber.ToLowerInvariant(),
            cert.NotBefore.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            cert.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            $"v{cert.Version}",
            Convert.ToHexStringLower(SHA256.HashData(cert.RawData)),
            cert.SignatureAlgorithm.FriendlyName ?? cert.SignatureAlgorithm.Value ?? "",
            SubjectAltNames(cert),
            basic?.CertificateAuthority ?? false,
            position,
            Quote(cert));
    }

    private static CertName Name(X500DistinguishedName name)
    {
        string? Get(string oid) => name.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == oid)
            .Select(rdn => rdn.GetSingleElementValue())
            .FirstOrDefault();
        return new CertName(Get("2.5.4.3"), Get("2.5.4.10"), Get("2.5.4.6"), Get("2.5.4.8"), Get("2.5.4.7"));
    }

    private static List<string> SubjectAltNames(X509Certificate2 cert)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null) return [];
        var names = san.EnumerateDnsNames().ToList();
        names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
        return names;
    }

    private static string? Quote(X509Certificate2 cert)
    {
        var extension = cert.Extensions[RaTlsQuoteOid];
        if (extension is null) return null;
        try
        {
            // The quote is an OCTET STRING inside the extension value; fall back to the raw bytes.
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            return Convert.ToHexStringLower(reader.ReadOctetString());
        }
        catch (AsnContentException)
        {
            return Convert.ToHexStringLower(extension.RawData);
        }
    }
}
