using System.Text.Json;
using System.Text.Json.Serialization;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// <c>configuration.gpus</c> in both shapes a released vmm sends: 0.4.x has <c>repeated GpuSpec gpus</c> (a JSON list of
/// <c>{"slot": …}</c>), 0.5.0 on a <c>GpuConfig</c> object. A list reads as the listed GPUs. Written as the object.
/// </summary>
internal sealed class GpuConfigConverter : JsonConverter<GpuConfig>
{
    public override GpuConfig? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartArray:
                return new GpuConfig { Gpus = ReadSpecs(ref reader), AttachMode = "listed" };
            case JsonTokenType.StartObject:
                var config = new GpuConfig();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "gpus" && reader.TokenType == JsonTokenType.StartArray) config = config with { Gpus = ReadSpecs(ref reader) };
                    else if (name == "attach_mode" && reader.TokenType == JsonTokenType.String) config = config with { AttachMode = reader.GetString()! };
                    else reader.Skip();
                }
                return config;
            default:
                throw new JsonException($"gpus: expected an object or a list, found {reader.TokenType}");
        }
    }

    public override void Write(Utf8JsonWriter writer, GpuConfig value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("gpus");
        foreach (var gpu in value.Gpus)
        {
            writer.WriteStartObject();
            writer.WriteString("slot", gpu.Slot);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteString("attach_mode", value.AttachMode);
        writer.WriteEndObject();
    }

    private static List<GpuSpec> ReadSpecs(ref Utf8JsonReader reader)
    {
        var specs = new List<GpuSpec>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            var slot = "";
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "slot" && reader.TokenType == JsonTokenType.String) slot = reader.GetString()!;
                else reader.Skip();
            }
            specs.Add(new GpuSpec { Slot = slot });
        }
        return specs;
    }
}
