using System.Buffers.Binary;
using System.Net;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// The KMS of each release: GetAppEnvEncryptPubKey's fields (and the vmm's proxy of it), the 20-byte app id check,
/// and signatures that verify against GetMeta's k256_pubkey with the digests of kms/src/crypto.rs.
/// </summary>
public sealed class SimulatorProfileKmsTests
{
    private const string AppId = "0123456789abcdef0123456789abcdef01234567";
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");

    [Fact]
    public async Task Before_0_5_6_the_answer_has_only_the_key_and_the_legacy_signature()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.5");
        foreach (var (mount, method) in new[] { ("kms/prpc", "GetAppEnvEncryptPubKey"), ("prpc", "GetAppEnvEncryptPubKey") })
        {
            var reply = (await sim.CallAsync(method, $$"""{"app_id":"{{AppId}}"}""", mount)).Json;
            Assert.Equal(["public_key", "signature"], SimulatorProfileWireTests.Names(reply));
            await AssertSignedAsync(sim, reply.GetProperty("signature").GetString()!, Legacy(reply.GetProperty("public_key").GetString()!));
        }

        // 0.4.2's KMS GetMeta has four fields; the auth details come with 0.5.2.
        await using var old = await ProfileSim.StartAsync("0.4.2");
        Assert.Equal(["ca_cert", "allow_any_upgrade", "k256_pubkey", "bootstrap_info"],
            SimulatorProfileWireTests.Names((await old.CallAsync("GetMeta", mount: "kms/prpc")).Json));
    }

    [Fact]
    public async Task From_0_5_6_it_adds_a_timestamp_and_the_timestamped_signature_v1()
    {
        await using var sim = await ProfileSim.StartAsync("0.5.6");
        foreach (var mount in new[] { "kms/prpc", "prpc" })
        {
            var reply = (await sim.CallAsync("GetAppEnvEncryptPubKey", $$"""{"app_id":"0x{{AppId.ToUpperInvariant()}}"}""", mount)).Json;
            Assert.Equal(["public_key", "signature", "timestamp", "signature_v1"], SimulatorProfileWireTests.Names(reply));
            var key = reply.GetProperty("public_key").GetString()!;
            var timestamp = reply.GetProperty("timestamp").GetUInt64();
            Assert.InRange((long)timestamp, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds());
            await AssertSignedAsync(sim, reply.GetProperty("signature").GetString()!, Legacy(key));
            await AssertSignedAsync(sim, reply.GetProperty("signature_v1").GetString()!, Timestamped(key, timestamp));
            Assert.NotEqual(reply.GetProperty("signature").GetString(), reply.GetProperty("signature_v1").GetString());
        }
    }

    [Fact]
    public async Task Only_next_refuses_an_app_id_that_is_not_20_bytes()
    {
        await using (var released = await ProfileSim.StartAsync("0.5.11"))
        {
            var reply = await released.CallAsync("GetAppEnvEncryptPubKey", """{"app_id":"abcd"}""", "kms/prpc");
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            Assert.Matches("^[0-9a-f]{64}$", reply.Json.GetProperty("public_key").GetString());
        }

        await using var next = await ProfileSim.StartAsync("next");
        Assert.Equal("app_id must be 20 bytes", (await next.CallAsync("GetAppEnvEncryptPubKey", """{"app_id":"abcd"}""", "kms/prpc")).Error);
    }

    // kms/src/crypto.rs sign_message: keccak256(prefix ‖ ":" ‖ app_id ‖ message).
    private static byte[] Legacy(string publicKeyHex) =>
        Keccak([.. "dstack-env-encrypt-pubkey:"u8, .. Convert.FromHexString(AppId), .. Convert.FromHexString(publicKeyHex)]);

    // kms/src/crypto.rs sign_message_with_timestamp: the u64 timestamp, big-endian, before the message.
    private static byte[] Timestamped(string publicKeyHex, ulong timestamp)
    {
        var ts = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(ts, timestamp);
        return Keccak([.. "dstack-env-encrypt-pubkey:"u8, .. Convert.FromHexString(AppId), .. ts, .. Convert.FromHexString(publicKeyHex)]);
    }

    /// <summary>r‖s‖v with v the k256 recovery id (0 or 1), low-S, verifying under the KMS's advertised k256 key.</summary>
    private static async Task AssertSignedAsync(ProfileSim sim, string signatureHex, byte[] digest)
    {
        var signature = Convert.FromHexString(signatureHex);
        Assert.Equal(65, signature.Length);
        Assert.InRange(signature[64], 0, 1);
        var r = new BigInteger(1, signature, 0, 32);
        var s = new BigInteger(1, signature, 32, 32);
        Assert.True(s.CompareTo(Curve.N.ShiftRight(1)) <= 0, "k256 signatures are low-S");

        var k256 = (await sim.CallAsync("GetMeta", mount: "kms/prpc")).Json.GetProperty("k256_pubkey").GetString()!;
        var domain = new ECDomainParameters(Curve.Curve, Curve.G, Curve.N, Curve.H);
        var verifier = new ECDsaSigner();
        verifier.Init(false, new ECPublicKeyParameters(Curve.Curve.DecodePoint(Convert.FromHexString(k256)), domain));
        Assert.True(verifier.VerifySignature(digest, r, s), "signature does not verify under k256_pubkey");
        // Clients verify by recovering the key (vmm-cli, eth-keys): v must be the recovery id that yields it.
        Assert.Equal(k256, Convert.ToHexStringLower(Recover(digest, r, s, signature[64])));
    }

    // SEC 1 v2 §4.1.6 (r < n here, so x = r).
    private static byte[] Recover(byte[] digest, BigInteger r, BigInteger s, int recId)
    {
        var encoded = new byte[33];
        encoded[0] = (byte)(recId == 1 ? 0x03 : 0x02);
        var x = r.ToByteArrayUnsigned();
        x.CopyTo(encoded, 33 - x.Length);
        var bigR = Curve.Curve.DecodePoint(encoded);
        var rInv = r.ModInverse(Curve.N);
        var u1 = new BigInteger(1, digest).Negate().Mod(Curve.N).Multiply(rInv).Mod(Curve.N);
        var u2 = s.Multiply(rInv).Mod(Curve.N);
        return Org.BouncyCastle.Math.EC.ECAlgorithms.SumOfTwoMultiplies(Curve.G, u1, bigR, u2).Normalize().GetEncoded(true);
    }

    private static byte[] Keccak(byte[] data)
    {
        var keccak = new KeccakDigest(256);
        keccak.BlockUpdate(data, 0, data.Length);
        var output = new byte[32];
        keccak.DoFinal(output, 0);
        return output;
    }
}
