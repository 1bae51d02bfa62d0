using System.Buffers.Binary;
using System.Numerics;

namespace Teehouse.Lite.Infrastructure.Crypto;

/// <summary>
/// Keccak-256 as Ethereum uses it and dstack's KMS signs over (Rust <c>sha3::Keccak256</c>): the original Keccak
/// padding (0x01 … 0x80), not FIPS 202 SHA3-256 (0x06 … 0x80), which the BCL's <c>SHA3_256</c> implements and which
/// gives different digests. Small inputs only are hashed here (a few dozen bytes), so one-shot over a span is enough.
/// </summary>
public static class Keccak256
{
    public const int HashSize = 32;

    // 1600-bit state, capacity 512 bits (twice the digest size).
    private const int RateBytes = 136;
    private const int Lanes = 25;

    private static readonly ulong[] RoundConstants =
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
        0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
        0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    // ρ offsets and π destinations, walked in the order of the standard in-place ρ∘π loop (lane 1 first).
    private static readonly int[] Rotations = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];
    private static readonly int[] PiLanes = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var digest = new byte[HashSize];
        Hash(data, digest);
        return digest;
    }

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HashSize, nameof(destination));
        Span<ulong> state = stackalloc ulong[Lanes];
        state.Clear();
        while (data.Length >= RateBytes)
        {
            Absorb(state, data[..RateBytes]);
            Permute(state);
            data = data[RateBytes..];
        }

        Span<byte> last = stackalloc byte[RateBytes];
        last.Clear();
        data.CopyTo(last);
        last[data.Length] ^= 0x01;
        last[RateBytes - 1] ^= 0x80;
        Absorb(state, last);
        Permute(state);

        for (var i = 0; i < HashSize / 8; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(i * 8)..], state[i]);
    }

    private static void Absorb(Span<ulong> state, ReadOnlySpan<byte> block)
    {
        for (var i = 0; i < RateBytes / 8; i++)
            state[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
    }

    /// <summary>Keccak-f[1600]: 24 rounds of θ, ρ, π, χ, ι.</summary>
    private static void Permute(Span<ulong> a)
    {
        Span<ulong> c = stackalloc ulong[5];
        for (var round = 0; round < 24; round++)
        {
            for (var x = 0; x < 5; x++)
                c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            for (var x = 0; x < 5; x++)
            {
                var d = c[(x + 4) % 5] ^ BitOperations.RotateLeft(c[(x + 1) % 5], 1);
                for (var y = 0; y < Lanes; y += 5) a[y + x] ^= d;
            }

            var carried = a[1];
            for (var i = 0; i < 24; i++)
            {
                var j = PiLanes[i];
                var next = a[j];
                a[j] = BitOperations.RotateLeft(carried, Rotations[i]);
                carried = next;
            }

            for (var y = 0; y < Lanes; y += 5)
            {
                for (var x = 0; x < 5; x++) c[x] = a[y + x];
                for (var x = 0; x < 5; x++) a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
            }

            a[0] ^= RoundConstants[round];
        }
    }
}
