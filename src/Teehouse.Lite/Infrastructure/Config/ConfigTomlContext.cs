using System.Text.Json.Serialization;
using Tomlyn.Serialization;

namespace Teehouse.Lite.Infrastructure.Config;

[TomlSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = Tomlyn.TomlIgnoreCondition.WhenWritingNull)]
[TomlSerializable(typeof(TeehouseConfig))]
internal partial class ConfigTomlContext : TomlSerializerContext;
