using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace Teehouse.Lite.Simulator.Kms;

/// <summary>
/// secp256k1 recoverable ECDSA in the shape the Rust <c>k256</c> crate produces:
/// deterministic (RFC 6979) nonces, low-S normalized, serialized as r(32) || s(32) || v(1) with v = recovery id.
/// </summary>
internal sealed class Secp256k1
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);
    private static readonly BigInteger HalfN = Curve.N.ShiftRight(1);

    private readonly ECPrivateKeyParameters _key;

    public Secp256k1(BigInteger d)
    {
        if (d.SignValue <= 0 || d.CompareTo(Curve.N) >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(d), "secp256k1 scalar out of range");
        }

        _key = new ECPrivateKeyParameters(d, Domain);
        CompressedPublicKey = Domain.G.Multiply(d).Normalize().GetEncoded(true);
    }

    /// <summary>Maps arbitrary seed bytes onto a valid scalar in [1, n-1].</summary>
    public static Secp256k1 FromSeed(byte[] seed) =>
        new(new BigInteger(1, seed).Mod(Curve.N.Subtract(BigInteger.One)).Add(BigInteger.One));

    /// <summary>33-byte SEC1 compressed public key (what KMS GetMeta reports as k256_pubkey).</summary>
    public byte[] CompressedPublicKey { get; }

    public byte[] SignRecoverable(byte[] digest32)
    {
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, _key);
        var rs = signer.GenerateSignature(digest32);
        var r = rs[0];
        var s = rs[1];
        if (s.CompareTo(HalfN) > 0)
        {
            s = Curve.N.Subtract(s);
        }

        for (byte recId = 0; recId < 4; recId++)
        {
            var recovered = Recover(digest32, r, s, recId);
            if (recovered is not null && recovered.AsSpan().SequenceEqual(CompressedPublicKey))
            {
                var sig = new byte[65];
                r.ToByteArrayUnsigned().CopyTo(sig, 32 - r.ToByteArrayUnsigned().Length);
                s.ToByteArrayUnsigned().CopyTo(sig, 64 - s.ToByteArrayUnsigned().Length);
                sig[64] = recId;
                return sig;
            }
        }

        throw new InvalidOperationException("could not determine the recovery id of a fresh signature");
    }

    /// <summary>Recovers the compressed public key from a 65-byte r||s||v signature, or null if invalid.</summary>
    public static byte[]? Recover(byte[] digest32, byte[] signature65)
    {
        if (signature65.Length != 65)
        {
            return null;
        }

        var r = new BigInteger(1, signature65, 0, 32);
        var s = new BigInteger(1, signature65, 32, 32);
        return Recover(digest32, r, s, signature65[64]);
    }

    // SEC 1 v2, section 4.1.6 public key recovery.
    private static byte[]? Recover(byte[] digest32, BigInteger r, BigInteger s, int recId)
    {
        var n = Curve.N;
        if (recId is < 0 or > 3 || r.SignValue <= 0 || s.SignValue <= 0 || r.CompareTo(n) >= 0 || s.CompareTo(n) >= 0)
        {
            return null;
        }

        var x = r.Add(n.Multiply(BigInteger.ValueOf(recId >> 1)));
        var prime = Curve.Curve.Field.Characteristic;
        if (x.CompareTo(prime) >= 0)
        {
            return null;
        }

        var xBytes = x.ToByteArrayUnsigned();
        var encoded = new byte[33];
        encoded[0] = (byte)((recId & 1) == 1 ? 0x03 : 0x02);
        xBytes.CopyTo(encoded, 33 - xBytes.Length);
        ECPoint bigR;
        try
        {
            bigR = Curve.Curve.DecodePoint(encoded);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var e = new BigInteger(1, digest32);
        var rInv = r.ModInverse(n);
        var u1 = e.Negate().Mod(n).Multiply(rInv).Mod(n);
        var u2 = s.Multiply(rInv).Mod(n);
        var q = ECAlgorithms.SumOfTwoMultiplies(Curve.G, u1, bigR, u2).Normalize();
        return q.IsInfinity ? null : q.GetEncoded(true);
    }
}
