using System.Security.Cryptography;
using System.Text;
using Teehouse.Lite.Simulator.Kms;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// A secp256k1 key that signs env-encryption keys the way dstack's KMS does: the simulated KMS's own signer and digests
/// (BouncyCastle: RFC 6979 nonces, low S, r‖s‖recovery id), not the production code they check. Plays the attacker's
/// KMS in the tests, or a KMS of a known key.
/// </summary>
public sealed class TestK256Signer(string seed)
{
    private readonly Secp256k1 _key = Secp256k1.FromSeed(SHA256.HashData(Encoding.UTF8.GetBytes($"test-k256/{seed}")));

    public string PublicKeyHex => Convert.ToHexStringLower(_key.CompressedPublicKey);

    /// <summary>Original Keccak-256, by BouncyCastle.</summary>
    public static byte[] Keccak(byte[] message) => Keccak256.Hash(message);

    /// <summary>The legacy and the timestamped (v1) signature over an app's env-encryption key, as hex.</summary>
    public (string Signature, string SignatureV1) SignEnvKey(string appIdHex, ulong timestamp, string publicKeyHex)
    {
        var appId = Convert.FromHexString(appIdHex);
        var publicKey = Convert.FromHexString(publicKeyHex);
        return (Convert.ToHexStringLower(Sign(KmsKeys.LegacyDigest(appId, publicKey))),
            Convert.ToHexStringLower(Sign(KmsKeys.TimestampedDigest(appId, timestamp, publicKey))));
    }

    /// <summary>65 bytes r‖s‖recovery id over a 32-byte digest.</summary>
    public byte[] Sign(byte[] digest32) => _key.SignRecoverable(digest32);
}
