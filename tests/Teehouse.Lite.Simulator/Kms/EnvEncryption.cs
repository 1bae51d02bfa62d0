using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace Teehouse.Lite.Simulator.Kms;

/// <summary>
/// dstack's encrypted-env envelope: eph_pub(32) || iv(12) || AES-256-GCM ciphertext+tag(16), where the raw
/// X25519 shared secret is the AES key (no KDF) and an all-zero shared secret is rejected like the guest does.
/// </summary>
internal static class EnvEncryption
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public static byte[] PublicKey(byte[] secret)
    {
        var pub = new byte[KeySize];
        X25519.ScalarMultBase(secret, 0, pub, 0);
        return pub;
    }

    public static bool TryDecrypt(byte[] secret, ReadOnlySpan<byte> envelope, out byte[] plaintext)
    {
        plaintext = [];
        if (envelope.Length < KeySize + NonceSize + TagSize)
        {
            return false;
        }

        var ephemeral = envelope[..KeySize].ToArray();
        var shared = new byte[KeySize];
        if (!X25519.CalculateAgreement(secret, 0, ephemeral, 0, shared, 0))
        {
            return false;
        }

        var nonce = envelope.Slice(KeySize, NonceSize);
        var body = envelope[(KeySize + NonceSize)..];
        var ciphertext = body[..^TagSize];
        var tag = body[^TagSize..];
        var output = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(shared, TagSize);
            aes.Decrypt(nonce, ciphertext, tag, output);
        }
        catch (CryptographicException)
        {
            return false;
        }

        plaintext = output;
        return true;
    }

    /// <summary>Client-side encryption (what vmm-cli does), used to give pre-populated VMs real envelopes.</summary>
    public static byte[] Encrypt(byte[] recipientPublicKey, ReadOnlySpan<byte> plaintext, byte[] ephemeralSecret, byte[] nonce)
    {
        var ephemeralPublic = PublicKey(ephemeralSecret);
        var shared = new byte[KeySize];
        if (!X25519.CalculateAgreement(ephemeralSecret, 0, recipientPublicKey, 0, shared, 0))
        {
            throw new CryptographicException("degenerate X25519 shared secret");
        }

        var output = new byte[KeySize + NonceSize + plaintext.Length + TagSize];
        ephemeralPublic.CopyTo(output, 0);
        nonce.CopyTo(output, KeySize);
        using var aes = new AesGcm(shared, TagSize);
        aes.Encrypt(
            nonce,
            plaintext,
            output.AsSpan(KeySize + NonceSize, plaintext.Length),
            output.AsSpan(KeySize + NonceSize + plaintext.Length, TagSize));
        return output;
    }
}
