using Org.BouncyCastle.Crypto.Digests;

namespace Teehouse.Lite.Simulator.Kms;

/// <summary>Original Keccak-256 (Ethereum's, not FIPS SHA3-256), which dstack's KMS signs over.</summary>
internal static class Keccak256
{
    public static byte[] Hash(params ReadOnlySpan<byte[]> parts)
    {
        var digest = new KeccakDigest(256);
        foreach (var part in parts)
        {
            digest.BlockUpdate(part, 0, part.Length);
        }

        var output = new byte[32];
        digest.DoFinal(output, 0);
        return output;
    }
}
