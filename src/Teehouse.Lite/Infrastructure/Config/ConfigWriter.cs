using Tomlyn;

namespace Teehouse.Lite.Infrastructure.Config;

public static class ConfigWriter
{
    public static string ToToml(TeehouseConfig config) => TomlSerializer.Serialize(config, ConfigTomlContext.Default.TeehouseConfig);
}
