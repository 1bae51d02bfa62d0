using System.Globalization;
using System.Text.Json;

namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>
/// Reads a protobuf message from its pRPC JSON (or GET query-string) form with the rules prpc-build's
/// serde derive applies: every field defaults when missing, unknown fields are ignored, <c>null</c> is
/// only accepted for <c>optional</c> scalars and message fields, and <c>bytes</c> are hex with an
/// optional <c>0x</c>.
/// </summary>
internal sealed class MessageReader
{
    private readonly string _typeName;
    private readonly JsonElement _object;
    private readonly Dictionary<string, List<string>>? _query;
    private readonly bool _isEmpty;

    private MessageReader(string typeName, JsonElement obj, Dictionary<string, List<string>>? query, bool isEmpty)
    {
        _typeName = typeName;
        _object = obj;
        _query = query;
        _isEmpty = isEmpty;
    }

    public static MessageReader Empty(string typeName) => new(typeName, default, null, isEmpty: true);

    /// <summary>Parses a JSON request body; an empty body is the default message.</summary>
    public static MessageReader FromJson(ReadOnlySpan<byte> body, string typeName)
    {
        if (body.IsEmpty)
        {
            return Empty(typeName);
        }

        var root = SerdeErrors.ParseStrict(body);

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PrpcException(SerdeErrors.At(SerdeErrors.InvalidType(root, $"struct {typeName}"), body));
        }

        return new MessageReader(typeName, root, null, isEmpty: false);
    }

    /// <summary>Parses a url-encoded query string (GET requests); repeated keys form repeated fields.</summary>
    public static MessageReader FromQuery(string? query, string typeName)
    {
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in (query ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Unescape(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Unescape(pair[(eq + 1)..]);
            if (!fields.TryGetValue(key, out var list))
            {
                fields[key] = list = [];
            }

            list.Add(value);
        }

        return new MessageReader(typeName, default, fields, isEmpty: false);
    }

    public string String(string field)
    {
        if (TryQuery(field, out var q))
        {
            return q;
        }

        if (!TryJson(field, out var v))
        {
            return "";
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Invalid(v, "a string");
    }

    public string? OptionalString(string field)
    {
        if (TryQuery(field, out var q))
        {
            return q;
        }

        if (!TryJson(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Invalid(v, "a string");
    }

    public uint UInt32(string field) => OptionalUInt32Core(field, allowNull: false) ?? 0;

    public uint? OptionalUInt32(string field) => OptionalUInt32Core(field, allowNull: true);

    public ulong UInt64(string field)
    {
        if (TryQuery(field, out var q))
        {
            return ulong.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new PrpcException("invalid digit found in string");
        }

        if (!TryJson(field, out var v))
        {
            return 0;
        }

        if (v.ValueKind != JsonValueKind.Number)
        {
            throw Invalid(v, "u64");
        }

        if (v.TryGetUInt64(out var u))
        {
            return u;
        }

        throw v.TryGetInt64(out var neg)
            ? new PrpcException($"invalid value: integer `{neg}`, expected u64")
            : Invalid(v, "u64");
    }

    public bool Bool(string field) => OptionalBoolCore(field, allowNull: false) ?? false;

    public bool? OptionalBool(string field) => OptionalBoolCore(field, allowNull: true);

    /// <summary>A <c>bytes</c> field: lowercase or uppercase hex, optional <c>0x</c>.</summary>
    public byte[] Bytes(string field)
    {
        string text;
        if (TryQuery(field, out var q))
        {
            text = q;
        }
        else if (!TryJson(field, out var v))
        {
            return [];
        }
        else if (v.ValueKind == JsonValueKind.String)
        {
            text = v.GetString()!;
        }
        else
        {
            throw Invalid(v, "a string");
        }

        return HexBytes.Decode(text);
    }

    public IReadOnlyList<string> StringList(string field)
    {
        if (_query is not null)
        {
            return _query.TryGetValue(field, out var values) ? values : [];
        }

        if (!TryJson(field, out var v))
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(v, "a sequence");
        }

        var list = new List<string>(v.GetArrayLength());
        foreach (var item in v.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Invalid(item, "a string"));
        }

        return list;
    }

    /// <summary>A singular message field: null when missing or <c>null</c>.</summary>
    public MessageReader? Message(string field, string typeName)
    {
        if (_query is not null || !TryJson(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Object
            ? new MessageReader(typeName, v, null, isEmpty: false)
            : throw Invalid(v, $"struct {typeName}");
    }

    public IReadOnlyList<MessageReader> MessageList(string field, string typeName)
    {
        if (_query is not null || !TryJson(field, out var v))
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(v, "a sequence");
        }

        var list = new List<MessageReader>(v.GetArrayLength());
        foreach (var item in v.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.Object
                ? new MessageReader(typeName, item, null, isEmpty: false)
                : throw Invalid(item, $"struct {typeName}"));
        }

        return list;
    }

    private uint? OptionalUInt32Core(string field, bool allowNull)
    {
        if (TryQuery(field, out var q))
        {
            if (!ulong.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new PrpcException("invalid digit found in string");
            }

            return parsed <= uint.MaxValue
                ? (uint)parsed
                : throw new PrpcException("number too large to fit in target type");
        }

        if (!TryJson(field, out var v))
        {
            return allowNull ? null : 0;
        }

        if (v.ValueKind == JsonValueKind.Null && allowNull)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number)
        {
            throw Invalid(v, "u32");
        }

        if (v.TryGetUInt32(out var u))
        {
            return u;
        }

        if (v.TryGetInt64(out var i))
        {
            throw new PrpcException($"invalid value: integer `{i}`, expected u32");
        }

        throw v.TryGetUInt64(out var big)
            ? new PrpcException($"invalid value: integer `{big}`, expected u32")
            : Invalid(v, "u32");
    }

    private bool? OptionalBoolCore(string field, bool allowNull)
    {
        if (TryQuery(field, out var q))
        {
            return q switch
            {
                "true" => true,
                "false" => false,
                _ => throw new PrpcException("provided string was not `true` or `false`"),
            };
        }

        if (!TryJson(field, out var v))
        {
            return allowNull ? null : false;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null when allowNull => null,
            _ => throw Invalid(v, "a boolean"),
        };
    }

    private bool TryQuery(string field, out string value)
    {
        if (_query is not null && _query.TryGetValue(field, out var values) && values.Count > 0)
        {
            value = values[^1];
            return true;
        }

        value = "";
        return false;
    }

    private bool TryJson(string field, out JsonElement value)
    {
        if (_isEmpty || _query is not null)
        {
            value = default;
            return false;
        }

        return _object.TryGetProperty(field, out value);
    }

    private static PrpcException Invalid(JsonElement value, string expected) =>
        new(SerdeErrors.InvalidType(value, expected));

    private static string Unescape(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    public override string ToString() => _typeName;
}
