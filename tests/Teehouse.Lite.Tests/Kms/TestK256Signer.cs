using System.Buffers.Binary;
using System.Text;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// A secp256k1 key that signs env-encryption keys the way dstack's KMS does, built on BouncyCastle alone (not on the
/// production code it checks): RFC 6979 nonces, low S, r‖s‖recovery id. Plays the attacker's KMS in the tests.
/// </summary>
public sealed class TestK256Signer
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);

    private readonly ECPrivateKeyParameters _key;
    private readonly byte[] _publicKey;

    public TestK256Signer(string seed)
    {
        var d = new BigInteger(1, System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed)))
            .Mod(Curve.N.Subtract(BigInteger.One)).Add(BigInteger.One);
        _key = new ECPrivateKeyParameters(d, Domain);
        _publicKey = Domain.G.Multiply(d).Normalize().GetEncoded(true);
    }

    public string PublicKeyHex => Convert.ToHexStringLower(_publicKey);

    public static byte[] Keccak(byte[] message)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(message, 0, message.Length);
        var output = new byte[32];
        digest.DoFinal(output, 0);
        return output;
    }

    public static byte[] LegacyMessage(byte[] appId, byte[] publicKey) =>
        [.. "dstack-env-encrypt-pubkey:"u8, .. appId, .. publicKey];

    public static byte[] V1Message(byte[] appId, ulong timestamp, byte[] publicKey)
    {
        var ts = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(ts, timestamp);
        return [.. "dstack-env-encrypt-pubkey:"u8, .. appId, .. ts, .. publicKey];
    }

    /// <summary>Both signatures of a GetAppEnvEncryptPubKey answer, hex, as a KMS holding this key would write them.</summary>
    public (string Signature, string SignatureV1) SignEnvKey(string appIdHex, ulong timestamp, string publicKeyHex)
    {
        var appId = Convert.FromHexString(appIdHex);
        var publicKey = Convert.FromHexString(publicKeyHex);
        return (Convert.ToHexStringLower(Sign(Keccak(LegacyMessage(appId, publicKey)))),
            Convert.ToHexStringLower(Sign(Keccak(V1Message(appId, timestamp, publicKey)))));
    }

    public byte[] Sign(byte[] digest32)
    {
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, _key);
        var rs = signer.GenerateSignature(digest32);
        var r = rs[0];
        var s = rs[1];
        if (s.CompareTo(Curve.N.ShiftRight(1)) > 0) s = Curve.N.Subtract(s);
        for (byte recId = 0; recId < 2; recId++)
        {
            if (Recover(digest32, r, s, recId) is not { } q || !q.AsSpan().SequenceEqual(_publicKey)) continue;
            var sig = new byte[65];
            var rb = r.ToByteArrayUnsigned();
            var sb = s.ToByteArrayUnsigned();
            rb.CopyTo(sig, 32 - rb.Length);
            sb.CopyTo(sig, 64 - sb.Length);
            sig[64] = recId;
            return sig;
        }
        throw new InvalidOperationException("no recovery id reproduces the key");
    }

    /// <summary>SEC 1 §4.1.6 for recovery ids 0 and 1 (x = r, never r + n in practice).</summary>
    public static byte[]? Recover(byte[] digest32, BigInteger r, BigInteger s, int recId)
    {
        ECPoint bigR;
        try
        {
            var x = r.ToByteArrayUnsigned();
            var encoded = new byte[33];
            encoded[0] = (byte)(0x02 | (recId & 1));
            x.CopyTo(encoded, 33 - x.Length);
            bigR = Curve.Curve.DecodePoint(encoded);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var e = new BigInteger(1, digest32);
        var rInv = r.ModInverse(Curve.N);
        var q = ECAlgorithms.SumOfTwoMultiplies(Curve.G, e.Negate().Mod(Curve.N).Multiply(rInv).Mod(Curve.N), bigR, s.Multiply(rInv).Mod(Curve.N)).Normalize();
        return q.IsInfinity ? null : q.GetEncoded(true);
    }
}
