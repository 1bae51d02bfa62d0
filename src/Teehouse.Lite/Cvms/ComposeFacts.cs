using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// What a sync stores of a VM's app-compose: its hash, and whether it uses the KMS. An import sees thousands of
/// composes, so both come from one pooled UTF-8 copy, and the KMS flag is read without materialising any other field
/// (a docker_compose_file can be many kilobytes); the result equals <see cref="AppComposeParser"/>'s.
/// </summary>
public static class ComposeFacts
{
    /// <summary>The compose hash, and the KMS flag when <paramref name="withKms"/> (else null).</summary>
    public static (string Hash, bool? KmsEnabled) Read(string composeText, bool withKms)
    {
        ArgumentNullException.ThrowIfNull(composeText);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(composeText.Length));
        try
        {
            var utf8 = buffer.AsSpan(0, Encoding.UTF8.GetBytes(composeText, buffer));
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(utf8, digest);
            return (Convert.ToHexStringLower(digest), withKms ? composeText.Length > 0 && KmsEnabled(utf8) : null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The top-level <c>kms_enabled</c> (the last one wins, as in the parser); false when absent or not a boolean.</summary>
    public static bool KmsEnabled(ReadOnlySpan<byte> utf8)
    {
        bool? found = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isKms = reader.ValueTextEquals("kms_enabled"u8);
                if (!reader.Read()) break;
                if (isKms && reader.TokenType is JsonTokenType.True or JsonTokenType.False) found = reader.TokenType == JsonTokenType.True;
                else if (isKms) { found = null; reader.Skip(); }
                else reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Broken JSON: what was read before the break stands, as in the parser.
        }
        return found ?? false;
    }
}
