using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Teehouse.Lite.Infrastructure.Dstack;

// serde fills missing fields with proto defaults, and a hand-written fake may emit null for a non-optional scalar or
// quote a number. These converters read all of that as the proto default instead of failing a whole Status call;
// they write plain JSON numbers and booleans.

internal sealed class LenientInt32Converter : JsonConverter<int>
{
    public override bool HandleNull => true;

    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        (int)Math.Clamp(LenientNumber.ReadInt64(ref reader), int.MinValue, int.MaxValue);

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

internal sealed class LenientInt64Converter : JsonConverter<long>
{
    public override bool HandleNull => true;

    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        LenientNumber.ReadInt64(ref reader);

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

internal sealed class LenientBooleanConverter : JsonConverter<bool>
{
    public override bool HandleNull => true;

    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        JsonTokenType.Number when reader.TryGetInt64(out var n) => n != 0,
        JsonTokenType.String => reader.GetString() switch
        {
            "true" or "True" or "1" => true,
            "false" or "False" or "0" or "" => false,
            var s => throw new JsonException($"'{s}' is not a boolean"),
        },
        _ => throw new JsonException($"expected a boolean, found {reader.TokenType}"),
    };

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}

internal static class LenientNumber
{
    /// <summary>A JSON integer (or a quoted one); null reads as 0; integers beyond the range of long are clamped.</summary>
    public static long ReadInt64(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var n))
                {
                    return n;
                }

                if (reader.TryGetUInt64(out _))
                {
                    return long.MaxValue;
                }

                if (reader.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d))
                {
                    return d >= long.MaxValue ? long.MaxValue : d <= long.MinValue ? long.MinValue : (long)d;
                }

                throw new JsonException("expected an integer");
            case JsonTokenType.String:
                var text = reader.GetString();
                if (string.IsNullOrEmpty(text))
                {
                    return 0;
                }

                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }

                throw new JsonException($"'{(text.Length > 40 ? text[..40] + "…" : text)}' is not an integer");
            default:
                throw new JsonException($"expected an integer, found {reader.TokenType}");
        }
    }
}
