using System.Buffers.Binary;

namespace Teehouse.Lite.Infrastructure.Crypto;

/// <summary>
/// The two messages a dstack KMS signs with its k256 root key when it hands out an app's env-encryption key
/// (kms/src/crypto.rs <c>sign_message</c> / <c>sign_message_with_timestamp</c>):
/// <list type="bullet">
/// <item>legacy <c>signature</c>: keccak256("dstack-env-encrypt-pubkey" ‖ ":" ‖ app_id ‖ public_key);</item>
/// <item><c>signature_v1</c> (KMS 0.5.6+): keccak256("dstack-env-encrypt-pubkey" ‖ ":" ‖ app_id ‖ u64be(timestamp) ‖ public_key).</item>
/// </list>
/// app_id is the 20 raw bytes, public_key the 32-byte X25519 key. Each answers the compressed signer, or null.
/// </summary>
public static class EnvKeySignature
{
    private static ReadOnlySpan<byte> Prefix => "dstack-env-encrypt-pubkey:"u8;

    public static byte[]? RecoverLegacySigner(ReadOnlySpan<byte> appId, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature) =>
        K256.RecoverCompressed(LegacyDigest(appId, publicKey), signature);

    public static byte[]? RecoverV1Signer(ReadOnlySpan<byte> appId, ulong timestamp, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature) =>
        K256.RecoverCompressed(V1Digest(appId, timestamp, publicKey), signature);

    public static byte[] LegacyDigest(ReadOnlySpan<byte> appId, ReadOnlySpan<byte> publicKey)
    {
        var message = new byte[Prefix.Length + appId.Length + publicKey.Length];
        Prefix.CopyTo(message);
        appId.CopyTo(message.AsSpan(Prefix.Length));
        publicKey.CopyTo(message.AsSpan(Prefix.Length + appId.Length));
        return Keccak256.Hash(message);
    }

    public static byte[] V1Digest(ReadOnlySpan<byte> appId, ulong timestamp, ReadOnlySpan<byte> publicKey)
    {
        var message = new byte[Prefix.Length + appId.Length + sizeof(ulong) + publicKey.Length];
        var at = 0;
        Prefix.CopyTo(message);
        at += Prefix.Length;
        appId.CopyTo(message.AsSpan(at));
        at += appId.Length;
        BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(at), timestamp);
        at += sizeof(ulong);
        publicKey.CopyTo(message.AsSpan(at));
        return Keccak256.Hash(message);
    }
}
