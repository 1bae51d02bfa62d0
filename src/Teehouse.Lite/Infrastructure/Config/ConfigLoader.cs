using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Teehouse.Lite.Infrastructure.Config;

/// <summary>Finds, reads and validates teehouse.toml. Every failure is a <see cref="ConfigException"/> with one clear line.</summary>
public static partial class ConfigLoader
{
    public const string EnvVar = "TEEHOUSE_CONFIG";
    public const string LocalFile = "teehouse.toml";
    public const string SystemFile = "/etc/teehouse/teehouse.toml";

    /// <summary>
    /// The file to read: <paramref name="explicitPath"/>, else $TEEHOUSE_CONFIG, else ./teehouse.toml, else
    /// /etc/teehouse/teehouse.toml. A path the operator named must exist; when none was named and no file exists,
    /// the result is null and the built-in defaults apply.
    /// </summary>
    public static string? Resolve(string? explicitPath)
    {
        var named = explicitPath ?? NullIfEmpty(Environment.GetEnvironmentVariable(EnvVar));
        if (named is not null)
        {
            var full = Path.GetFullPath(named);
            return File.Exists(full) ? full : throw new ConfigException($"{named}: config file not found");
        }
        if (File.Exists(LocalFile)) return Path.GetFullPath(LocalFile);
        return File.Exists(SystemFile) ? SystemFile : null;
    }

    public static TeehouseConfig Load(string? explicitPath)
    {
        var path = Resolve(explicitPath);
        if (path is null)
        {
            var defaults = new TeehouseConfig();
            Finish(defaults, "(built-in defaults)", Directory.GetCurrentDirectory());
            return defaults;
        }
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read config file: {e.Message}");
        }
        var config = Parse(text, path);
        config.SourcePath = path;
        Finish(config, path, Path.GetDirectoryName(path)!);
        return config;
    }

    /// <summary>Parses TOML text into a config without touching the file system (paths stay as written).</summary>
    public static TeehouseConfig Parse(string text, string sourceName)
    {
        var document = SyntaxParser.Parse(text, sourceName, validate: true);
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
                throw new ConfigException($"{sourceName}:{diagnostic.Span.Start.Line + 1}:{diagnostic.Span.Start.Column + 1}: invalid TOML: {diagnostic.Message}");
        }

        var keys = ConfigKeyWalker.Walk(document);
        foreach (var key in keys)
        {
            var known = key.IsTable ? ConfigSchema.Tables.Contains(key.Schema) : ConfigSchema.Keys.Contains(key.Schema);
            if (!known)
                throw new ConfigException($"{sourceName}:{key.Line}: unknown {(key.IsTable ? "table" : "key")} '{key.Path}'");
        }

        try
        {
            return TomlSerializer.Deserialize(text, ConfigTomlContext.Default.TeehouseConfig) ?? new TeehouseConfig();
        }
        catch (TomlException e)
        {
            var line = e.Line ?? 0;
            var key = keys.LastOrDefault(k => !k.IsTable && k.Line == line)?.Path;
            throw new ConfigException($"{sourceName}:{line}:{e.Column ?? 0}: {(key is null ? "" : $"'{key}': ")}{Simplify(e.Message)}");
        }
    }

    private static void Finish(TeehouseConfig config, string source, string baseDirectory)
    {
        if (!config.Tiers.ContainsKey("FREE")) config.Tiers["FREE"] = DefaultFreeTier();
        var problems = ConfigValidator.Validate(config);
        if (problems.Count > 0) throw new ConfigException($"{source}: {problems[0]}");
        config.Database.Path = Path.GetFullPath(config.Database.Path, baseDirectory);
        if (config.Log.File.Length > 0) config.Log.File = Path.GetFullPath(config.Log.File, baseDirectory);
        if (!string.IsNullOrEmpty(config.Server.TlsCert)) config.Server.TlsCert = Path.GetFullPath(config.Server.TlsCert, baseDirectory);
        if (!string.IsNullOrEmpty(config.Server.TlsKey)) config.Server.TlsKey = Path.GetFullPath(config.Server.TlsKey, baseDirectory);
    }

    public static TierConfig DefaultFreeTier() => new() { MaxInstances = 1, MaxVcpu = 2, MaxMemory = 4096, MaxDisk = 40 };

    // Tomlyn wraps the useful part ("Expected String token but was Integer") in two layers of context.
    private static string Simplify(string message)
    {
        var reason = ReasonPattern().Match(message);
        var text = reason.Success ? reason.Groups[1].Value : message;
        text = PositionPrefix().Replace(text, "").Trim();
        var expected = ExpectedPattern().Match(text);
        return expected.Success
            ? $"expected {expected.Groups[1].Value.ToLowerInvariant()}, found {expected.Groups[2].Value.ToLowerInvariant()}"
            : text;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    [GeneratedRegex(@"Reason:\s*(.*)$", RegexOptions.Singleline)]
    private static partial Regex ReasonPattern();

    [GeneratedRegex(@"^\(\d+,\d+\)\s*:\s*error\s*:\s*")]
    private static partial Regex PositionPrefix();

    [GeneratedRegex(@"Expected (\w+) token but was (\w+)")]
    private static partial Regex ExpectedPattern();
}
