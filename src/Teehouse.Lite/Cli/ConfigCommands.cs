using System.CommandLine;
using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Cli;

public static partial class ConfigCommands
{
    public static Command Create(CliIo io) => new("config", "Inspect the configuration.") { CheckCommand(io) };

    private static Command CheckCommand(CliIo io)
    {
        var file = new Argument<string?>("FILE") { Description = "Config file to check (default: the one 'serve' would use)", Arity = ArgumentArity.ZeroOrOne };
        var config = CommonOptions.Config();
        var command = new Command("check", "Validate the TOML and print the effective configuration (secrets masked).") { file, config };
        command.SetAction(parsed =>
        {
            var settings = ConfigLoader.Load(parsed.GetValue(file) ?? parsed.GetValue(config));
            io.Out.WriteLine($"# effective configuration from {settings.SourcePath ?? "built-in defaults"}");
            io.Out.Write(Mask(ConfigWriter.ToToml(settings)));
            io.Err.WriteLine("configuration is valid");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Any key that names a token, secret or password is printed as "***".</summary>
    public static string Mask(string toml) => SecretLine().Replace(toml, m => $"{m.Groups[1].Value}\"***\"");

    [GeneratedRegex(@"^(\s*[A-Za-z0-9_]*(?:token|secret|password)[A-Za-z0-9_]*\s*=\s*).*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex SecretLine();
}
