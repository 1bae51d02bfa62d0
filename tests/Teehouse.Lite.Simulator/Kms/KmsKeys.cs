using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Teehouse.Lite.Simulator.Kms;

/// <summary>The simulated KMS's key material and the env-encryption public key it hands out per app.</summary>
internal sealed class KmsKeys
{
    private static readonly byte[] EnvPubkeyPrefix = "dstack-env-encrypt-pubkey"u8.ToArray();
    private static readonly byte[] Colon = ":"u8.ToArray();
    private static readonly byte[] EnvKeyLabel = "env-encrypt-key"u8.ToArray();

    private readonly byte[] _rootSecret;

    public KmsKeys(int seed)
    {
        // Deterministic per seed so a test run can be replayed; never a real secret.
        _rootSecret = SHA256.HashData(Encoding.UTF8.GetBytes($"teehouse-simulator-kms-root/{seed}"));
        Signer = Secp256k1.FromSeed(HMACSHA256.HashData(_rootSecret, "k256-root-key"u8));
        CaCertPem = CreateCaCertificatePem();
    }

    public Secp256k1 Signer { get; }

    /// <summary>PEM of a self-signed root CA, like the KMS's root_ca.pem.</summary>
    public string CaCertPem { get; }

    /// <summary>The per-app X25519 secret, derived from the root secret and app_id (as dstack's KMS derives it from its root key).</summary>
    public byte[] EnvSecret(byte[] appId) =>
        HMACSHA256.HashData(_rootSecret, appId.Concat(EnvKeyLabel).ToArray());

    public byte[] EnvPublicKey(byte[] appId) => EnvEncryption.PublicKey(EnvSecret(appId));

    /// <summary>The KMS GetAppEnvEncryptPubKey answer: key plus legacy and timestamped signatures.</summary>
    public (byte[] PublicKey, byte[] Signature, ulong Timestamp, byte[] SignatureV1) EnvEncryptPubKey(byte[] appId, ulong timestamp)
    {
        var publicKey = EnvPublicKey(appId);
        var legacy = Signer.SignRecoverable(LegacyDigest(appId, publicKey));
        var v1 = Signer.SignRecoverable(TimestampedDigest(appId, timestamp, publicKey));
        return (publicKey, legacy, timestamp, v1);
    }

    public static byte[] LegacyDigest(byte[] appId, byte[] publicKey) =>
        Keccak256.Hash(EnvPubkeyPrefix, Colon, appId, publicKey);

    public static byte[] TimestampedDigest(byte[] appId, ulong timestamp, byte[] publicKey)
    {
        var ts = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(ts, timestamp);
        return Keccak256.Hash(EnvPubkeyPrefix, Colon, appId, ts, publicKey);
    }

    private static string CreateCaCertificatePem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("Dstack KMS CA");
        subject.AddOrganizationName("Dstack");
        subject.AddCountryOrRegion("US");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("kms.local");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        return cert.ExportCertificatePem() + "\n";
    }
}
