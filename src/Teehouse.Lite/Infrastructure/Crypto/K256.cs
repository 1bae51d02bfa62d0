using NBitcoin.Secp256k1;

namespace Teehouse.Lite.Infrastructure.Crypto;

/// <summary>
/// The secp256k1 ("k256") operations a KMS signature check needs, on NBitcoin.Secp256k1 (a managed port of
/// libsecp256k1): parsing a compressed public key and recovering the signer of a recoverable signature.
/// </summary>
public static class K256
{
    public const int CompressedKeySize = 33;
    public const int RecoverableSignatureSize = 65;

    /// <summary>
    /// Whether <paramref name="hex"/> is a 33-byte SEC1 compressed point on the curve (what KMS GetMeta reports as
    /// <c>k256_pubkey</c>); <paramref name="normalized"/> is it in lowercase without <c>0x</c>.
    /// </summary>
    public static bool TryParseCompressed(string? hex, out string normalized)
    {
        normalized = "";
        if (string.IsNullOrWhiteSpace(hex)) return false;
        var text = hex.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        if (text.Length != CompressedKeySize * 2) return false;
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return false;
        }

        // The prefix check first: TryCreate would also take a 65-byte uncompressed key, which is not what is pinned.
        if (bytes[0] is not (0x02 or 0x03) || !ECPubKey.TryCreate(bytes, Context.Instance, out var compressed, out _) || !compressed)
            return false;
        normalized = Convert.ToHexStringLower(bytes);
        return true;
    }

    /// <summary>
    /// The compressed public key that made <paramref name="signature"/> (r‖s‖v, 65 bytes) over
    /// <paramref name="digest32"/>, or null when the signature is malformed or recovers to no key.
    /// <para>
    /// v is the bare recovery id 0-3, as dstack's KMS writes it (k256's <c>RecoveryId::to_byte</c>) and the SDK's and
    /// vmm-cli's checks read it; the Ethereum transaction form 27/28 is not something a KMS produces, so it is refused.
    /// </para>
    /// </summary>
    public static byte[]? RecoverCompressed(ReadOnlySpan<byte> digest32, ReadOnlySpan<byte> signature)
    {
        if (digest32.Length != 32 || signature.Length != RecoverableSignatureSize || signature[64] > 3) return null;
        if (!SecpRecoverableECDSASignature.TryCreateFromCompact(signature[..64], signature[64], out var recoverable) || recoverable is null)
            return null;
        if (!ECPubKey.TryRecover(Context.Instance, recoverable, digest32, out var key) || key is null) return null;
        var output = new byte[CompressedKeySize];
        key.WriteToSpan(true, output, out var written);
        return written == CompressedKeySize ? output : null;
    }
}
