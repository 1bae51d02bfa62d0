using System.Security.Cryptography;
using System.Text;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Crypto;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Kms;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// Keccak-256, secp256k1 recovery and dstack's two env-key signature messages, checked against published vectors and
/// against BouncyCastle (an implementation the production code does not use).
/// </summary>
public sealed class EnvKeySignatureTests
{
    private const string AppId = "1234567890abcdef1234567890abcdef12345678";
    private static readonly TestK256Signer Kms = new("the-kms");
    private static readonly TestK256Signer Attacker = new("someone-else");

    [Theory]
    [InlineData("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")]
    [InlineData("The quick brown fox jumps over the lazy dog", "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")]
    public void Keccak256_matches_the_published_vectors(string input, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(Keccak256.Hash(Encoding.ASCII.GetBytes(input))));

    [Fact]
    public void Keccak256_agrees_with_bouncycastle_at_every_length_around_the_block_boundaries()
    {
        var random = new Random(11);
        foreach (var length in Enumerable.Range(0, 300).Concat([407, 408, 409, 543, 544, 545, 1000, 4096]))
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(Convert.ToHexStringLower(TestK256Signer.Keccak(data)), Convert.ToHexStringLower(Keccak256.Hash(data)));
        }
    }

    [Fact]
    public void Keccak256_is_not_fips_sha3()
    {
        Assert.SkipUnless(SHA3_256.IsSupported, "the platform has no SHA3-256");
        Assert.NotEqual(Convert.ToHexStringLower(SHA3_256.HashData([])), Convert.ToHexStringLower(Keccak256.Hash([])));
    }

    /// <summary>The example of vmm-cli's <c>verify_signature</c> and of the SDK's <c>verifyEnvEncryptPublicKey</c>.</summary>
    [Fact]
    public void The_upstream_example_signature_recovers_to_the_upstream_signer()
    {
        var signer = EnvKeySignature.RecoverLegacySigner(new byte[20],
            Convert.FromHexString("e33a1832c6562067ff8f844a61e51ad051f1180b66ec2551fb0251735f3ee90a"),
            Convert.FromHexString("8542c49081fbf4e03f62034f13fbf70630bdf256a53032e38465a27c36fd6bed7a5e7111652004aef37f7fd92fbfc1285212c4ae6a6154203a48f5e16cad2cef00"));
        Assert.Equal("0217610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f", Convert.ToHexStringLower(signer!));
    }

    [Fact]
    public void Both_kms_signatures_recover_to_the_signer_and_anything_changed_does_not()
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var (legacy, v1) = Kms.SignEnvKey(AppId, 1_760_000_000, key);
        var appId = Convert.FromHexString(AppId);
        var publicKey = Convert.FromHexString(key);
        Assert.Equal(Kms.PublicKeyHex, Hex(EnvKeySignature.RecoverLegacySigner(appId, publicKey, Convert.FromHexString(legacy))));
        Assert.Equal(Kms.PublicKeyHex, Hex(EnvKeySignature.RecoverV1Signer(appId, 1_760_000_000, publicKey, Convert.FromHexString(v1))));

        // Another timestamp, app or key: the signature recovers to some other key (or none), never to the KMS's.
        Assert.NotEqual(Kms.PublicKeyHex, Hex(EnvKeySignature.RecoverV1Signer(appId, 1_760_000_001, publicKey, Convert.FromHexString(v1))));
        Assert.NotEqual(Kms.PublicKeyHex, Hex(EnvKeySignature.RecoverLegacySigner(new byte[20], publicKey, Convert.FromHexString(legacy))));
        Assert.NotEqual(Kms.PublicKeyHex, Hex(EnvKeySignature.RecoverLegacySigner(appId, new byte[32], Convert.FromHexString(legacy))));
        // The v1 signature is not a legacy one, nor the other way round.
        Assert.NotEqual(Kms.PublicKeyHex, Hex(EnvKeySignature.RecoverLegacySigner(appId, publicKey, Convert.FromHexString(v1))));
    }

    [Fact]
    public void Malformed_signatures_recover_to_nothing()
    {
        var digest = Keccak256.Hash("x"u8);
        var good = Kms.Sign(digest);
        Assert.Equal(Kms.PublicKeyHex, Hex(K256.RecoverCompressed(digest, good)));
        Assert.Null(K256.RecoverCompressed(digest, good[..64]));
        Assert.Null(K256.RecoverCompressed(digest, [.. good, 0]));
        Assert.Null(K256.RecoverCompressed(digest, [.. good[..64], (byte)(good[64] + 27)])); // Ethereum's v: not what a KMS writes
        Assert.Null(K256.RecoverCompressed(digest, [.. good[..64], 4]));
        Assert.Null(K256.RecoverCompressed(digest, new byte[65])); // r = s = 0
        Assert.Null(K256.RecoverCompressed(digest[..31], good));
    }

    [Theory]
    [InlineData("0217610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f", true)]
    [InlineData("0x0217610D74CBD39B6143842C6D8BC310D79DA1D82CC9D17F8876376221EDA0C38F", true)]
    [InlineData("0417610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f", false)] // not a compressed prefix
    [InlineData("0217610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c3", false)] // 32 bytes
    [InlineData("02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", false)] // x beyond the field
    [InlineData("020000000000000000000000000000000000000000000000000000000000000005", false)] // x with no point on the curve
    [InlineData("zz17610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f", false)]
    [InlineData("", false)]
    public void A_pin_must_be_a_compressed_point_on_the_curve(string hex, bool valid)
    {
        Assert.Equal(valid, K256.TryParseCompressed(hex, out var normalized));
        if (valid) Assert.Equal("0217610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f", normalized);
    }

    [Fact]
    public void A_bad_configured_pin_is_one_clear_config_error()
    {
        var config = new TeehouseConfig();
        config.Kms.Add(new KmsConfig { Id = "k", Url = "https://kms:8000", K256Pubkey = "02abc" });
        var problem = Assert.Single(ConfigValidator.Validate(config));
        Assert.StartsWith("kms[0].k256_pubkey: '02abc' is not a compressed secp256k1 public key", problem);
        config.Kms[0].K256Pubkey = Kms.PublicKeyHex;
        Assert.Empty(ConfigValidator.Validate(config));
        config.Kms[0].Id = "pins";
        Assert.Contains("'pins' is reserved", Assert.Single(ConfigValidator.Validate(config)));
    }

    [Fact]
    public void An_answer_verifies_only_when_every_signature_it_carries_is_the_pinned_keys()
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var (legacy, v1) = Kms.SignEnvKey(AppId, 42, key);
        var (forgedLegacy, forgedV1) = Attacker.SignEnvKey(AppId, 42, key);
        EnvEncryptPublicKey Answer(string sig, string sigV1, long ts = 42) => new() { PublicKey = key, Signature = sig, SignatureV1 = sigV1, Timestamp = ts };

        Assert.True(EnvKeyCheck.Check(Answer(legacy, v1), AppId, Kms.PublicKeyHex).Verified);
        Assert.True(EnvKeyCheck.Check(Answer(legacy, ""), AppId, Kms.PublicKeyHex).Verified); // a KMS before 0.5.6
        Assert.True(EnvKeyCheck.Check(Answer("", v1), AppId, Kms.PublicKeyHex).Verified);

        var wrongPin = EnvKeyCheck.Check(Answer(legacy, v1), AppId, Attacker.PublicKeyHex);
        Assert.False(wrongPin.Verified);
        Assert.Equal(Kms.PublicKeyHex, wrongPin.Signer);

        var forged = EnvKeyCheck.Check(Answer(forgedLegacy, forgedV1), AppId, Kms.PublicKeyHex);
        Assert.False(forged.Verified);
        Assert.Equal(Attacker.PublicKeyHex, forged.Signer);
        Assert.Contains($"by {Attacker.PublicKeyHex}, not by the pinned key {Kms.PublicKeyHex}", forged.Problem);

        // A good v1 does not launder a forged legacy signature (the one handed on to clients), nor the reverse.
        Assert.False(EnvKeyCheck.Check(Answer(forgedLegacy, v1), AppId, Kms.PublicKeyHex).Verified);
        Assert.False(EnvKeyCheck.Check(Answer(legacy, forgedV1), AppId, Kms.PublicKeyHex).Verified);
        Assert.False(EnvKeyCheck.Check(Answer(legacy, v1, ts: 43), AppId, Kms.PublicKeyHex).Verified); // the timestamp is signed
        Assert.False(EnvKeyCheck.Check(Answer("", ""), AppId, Kms.PublicKeyHex).Verified);
        Assert.False(EnvKeyCheck.Check(Answer(legacy[..128], ""), AppId, Kms.PublicKeyHex).Verified);
        Assert.Equal(Attacker.PublicKeyHex, EnvKeyCheck.SignerOf(Answer(forgedLegacy, ""), AppId));
    }

    private static string? Hex(byte[]? key) => key is null ? null : Convert.ToHexStringLower(key);
}
