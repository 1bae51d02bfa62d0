using System.CommandLine;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Cli;

public static class CommonOptions
{
    public static Option<string?> Config() => new("--config", "-c")
    {
        Description = $"Config file (default: ${ConfigLoader.EnvVar}, ./{ConfigLoader.LocalFile}, then {ConfigLoader.SystemFile})",
        HelpName = "FILE",
    };

    /// <summary>Loads the config and opens (creating or upgrading) the database it names.</summary>
    public static async Task<(TeehouseConfig Config, Db Db)> OpenAsync(string? configPath)
    {
        var config = ConfigLoader.Load(configPath);
        var db = new Db(config.Database.Path, config.Database.BusyTimeoutMs);
        await Migrator.MigrateAsync(db);
        return (config, db);
    }
}
