using System.CommandLine;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Files;

namespace Teehouse.Lite.Cli;

public static class CommonOptions
{
    public static Option<string?> Config() => new("--config", "-c")
    {
        Description = $"Config file (default: ${ConfigLoader.EnvVar}, ./{ConfigLoader.LocalFile}, then {ConfigLoader.SystemFile})",
        HelpName = "FILE",
    };

    /// <summary>
    /// Loads the config and opens (creating or upgrading) the database it names; loose modes on its files are
    /// reported on stderr, where a command's output is not disturbed.
    /// </summary>
    public static async Task<(TeehouseConfig Config, Db Db)> OpenAsync(string? configPath, CliIo io)
    {
        var config = ConfigLoader.Load(configPath);
        var db = new Db(config.Database.Path, config.Database.BusyTimeoutMs);
        await Migrator.MigrateAsync(db);
        foreach (var warning in PrivateFiles.LooseDatabaseModes(db.Path)) io.Err.WriteLine($"teehouse: warning: {warning}");
        return (config, db);
    }
}
