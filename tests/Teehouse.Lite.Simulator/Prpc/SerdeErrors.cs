using System.Globalization;
using System.Text.Json;

namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>
/// Renders decode failures with serde_json's wording ("invalid type: string \"x\", expected u32",
/// "missing field `name` at line 1 column 12") so clients that surface dstack errors see familiar text.
/// </summary>
internal static class SerdeErrors
{
    /// <summary>serde's <c>Unexpected</c> rendering of a JSON value.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"string {Quote(value.GetString() ?? "")}",
        JsonValueKind.Number when value.TryGetInt64(out var i) => $"integer `{i}`",
        JsonValueKind.Number when value.TryGetUInt64(out var u) => $"integer `{u}`",
        JsonValueKind.Number => $"floating point `{FormatFloat(value)}`",
        JsonValueKind.True => "boolean `true`",
        JsonValueKind.False => "boolean `false`",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "sequence",
        JsonValueKind.Object => "map",
        _ => "unit value",
    };

    public static string InvalidType(JsonElement value, string expected) =>
        $"invalid type: {Describe(value)}, expected {expected}";

    /// <summary>Rust's <c>{:?}</c> of a string: double quotes with escapes.</summary>
    public static string Quote(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:x}}}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Parses one complete JSON document as serde_json::from_slice does (strict RFC 8259, nothing
    /// after the value), turning syntax errors into serde's "&lt;message&gt; at line L column C".
    /// </summary>
    public static JsonElement ParseStrict(ReadOnlySpan<byte> input, string? context = null)
    {
        try
        {
            var reader = new Utf8JsonReader(input);
            var root = JsonElement.ParseValue(ref reader);
            var next = (int)reader.BytesConsumed;
            while (next < input.Length && IsBlank(input.Slice(next, 1)))
            {
                next++;
            }

            if (next < input.Length)
            {
                var (line, column) = Position(input, next + 1);
                throw Error(context, $"trailing characters at line {line} column {column}");
            }

            return root;
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var column = (e.BytePositionInLine ?? 0) + 1;
            var rest = RemainderIsBlank(input, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            var what = rest ? "EOF while parsing a value" : "expected value";
            throw Error(context, $"{what} at line {line} column {column}");
        }
    }

    private static PrpcException Error(string? context, string message) =>
        context is null ? new PrpcException(message) : new PrpcException(context, message);

    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }

    private static (long Line, long Column) Position(ReadOnlySpan<byte> input, int offset)
    {
        long line = 1;
        long column = 0;
        for (var i = 0; i < Math.Min(offset, input.Length); i++)
        {
            if (input[i] == (byte)'\n')
            {
                line++;
                column = 0;
            }
            else
            {
                column++;
            }
        }

        return (line, column);
    }

    /// <summary>1-based line and byte column of the last non-whitespace byte, where serde reports
    /// errors discovered only after a whole object was consumed.</summary>
    public static (long Line, long Column) EndPosition(ReadOnlySpan<byte> input)
    {
        var end = input.Length;
        while (end > 0 && IsBlank(input.Slice(end - 1, 1)))
        {
            end--;
        }

        return Position(input, end);
    }

    public static string At(string message, ReadOnlySpan<byte> input)
    {
        var (line, column) = EndPosition(input);
        return $"{message} at line {line} column {column}";
    }

    private static bool RemainderIsBlank(ReadOnlySpan<byte> input, long lineIndex, long bytePos)
    {
        long line = 0;
        var i = 0;
        while (i < input.Length && line < lineIndex)
        {
            if (input[i] == (byte)'\n')
            {
                line++;
            }

            i++;
        }

        return IsBlank(input[(int)Math.Min(i + bytePos, input.Length)..]);
    }

    private static string FormatFloat(JsonElement value) =>
        value.GetDouble().ToString("R", CultureInfo.InvariantCulture);
}
