using Teehouse.Lite.Infrastructure.Crypto;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Kms;

/// <summary>
/// What the signatures of one GetAppEnvEncryptPubKey answer say. <see cref="Signer"/> is the key they recover to
/// (null when they recover to none); <see cref="Problem"/> says, for logs and admins, why the answer is refused.
/// </summary>
public sealed record EnvKeyVerdict(bool Verified, string? Signer, string Problem);

/// <summary>
/// Checks an env-encryption key's signatures against a KMS's pinned k256 key, as vmm-cli does
/// (<c>verify_signature_v1</c>, else <c>verify_signature</c>, then the signer against the trusted key).
/// <para>
/// Every signature present must verify, not just the preferred one: <c>signature</c> (legacy) is passed on to the
/// client, whose SDK checks exactly that one, and a valid <c>signature_v1</c> must not launder a forged legacy one.
/// <c>signature_v1</c> covers the timestamp too; KMSs before 0.5.6 (and vmms proxying for them) send only the legacy one.
/// </para>
/// </summary>
public static class EnvKeyCheck
{
    public static EnvKeyVerdict Check(EnvEncryptPublicKey answer, string appIdHex, string pin)
    {
        if (Bytes(appIdHex, 20) is not { } appId) return new EnvKeyVerdict(false, null, $"the app id '{appIdHex}' is not 20 bytes of hex");
        if (Bytes(answer.PublicKey, 32) is not { } publicKey) return new EnvKeyVerdict(false, null, "the public key is not 32 bytes of hex");
        var hasV1 = answer.SignatureV1.Length > 0;
        var hasLegacy = answer.Signature.Length > 0;
        if (!hasV1 && !hasLegacy) return new EnvKeyVerdict(false, null, "the answer carries no signature");

        string? signer = null;
        if (hasV1)
        {
            if (answer.Timestamp < 0) return new EnvKeyVerdict(false, null, $"signature_v1 comes with a negative timestamp {answer.Timestamp}");
            var v1 = Recover(answer.SignatureV1, s => EnvKeySignature.RecoverV1Signer(appId, (ulong)answer.Timestamp, publicKey, s));
            if (v1 is null) return new EnvKeyVerdict(false, null, "signature_v1 is not a valid recoverable secp256k1 signature over the key");
            if (v1 != pin) return new EnvKeyVerdict(false, v1, $"signature_v1 is by {v1}, not by the pinned key {pin}");
            signer = v1;
        }

        if (hasLegacy)
        {
            var legacy = Recover(answer.Signature, s => EnvKeySignature.RecoverLegacySigner(appId, publicKey, s));
            if (legacy is null) return new EnvKeyVerdict(false, signer, "signature is not a valid recoverable secp256k1 signature over the key");
            if (legacy != pin) return new EnvKeyVerdict(false, legacy, $"signature is by {legacy}, not by the pinned key {pin}");
            signer = legacy;
        }
        return new EnvKeyVerdict(true, signer, "");
    }

    /// <summary>The key the answer's signatures recover to, whatever it is: what an admin compares with the KMS's own.</summary>
    public static string? SignerOf(EnvEncryptPublicKey answer, string appIdHex)
    {
        if (Bytes(appIdHex, 20) is not { } appId || Bytes(answer.PublicKey, 32) is not { } publicKey) return null;
        if (answer.SignatureV1.Length > 0 && answer.Timestamp >= 0
            && Recover(answer.SignatureV1, s => EnvKeySignature.RecoverV1Signer(appId, (ulong)answer.Timestamp, publicKey, s)) is { } v1)
            return v1;
        return answer.Signature.Length > 0 ? Recover(answer.Signature, s => EnvKeySignature.RecoverLegacySigner(appId, publicKey, s)) : null;
    }

    private static string? Recover(string signatureHex, Func<byte[], byte[]?> recover) =>
        Bytes(signatureHex, K256.RecoverableSignatureSize) is { } signature && recover(signature) is { } key ? Convert.ToHexStringLower(key) : null;

    private static byte[]? Bytes(string hex, int length)
    {
        if (hex.Length != length * 2) return null;
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
