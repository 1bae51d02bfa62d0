using System.Globalization;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>A vmm.toml that is not valid TOML, or holds a key of the wrong type: exit 2, naming the file and the key.</summary>
public sealed class VmmTomlException(string message) : Exception(message);

/// <summary>
/// What Teehouse needs from a local dstack-vmm's vmm.toml: where it listens, its API token, its KMS, gateway, image
/// and VM directories. Files are layered the way dstack-vmm merges them (a later file's key wins), over the built-in
/// defaults of dstack/vmm/vmm.toml.
/// </summary>
public sealed record VmmToml(
    IReadOnlyList<string> Files,
    string Address,
    long? Port,
    string? AuthToken,
    string? KmsUrl,
    string? GatewayBaseDomain,
    long? GatewayPort,
    long? GatewayAgentPort,
    string? ImagePath,
    string? RunPath)
{
    /// <summary>dstack-vmm's merge order without <c>-c</c>: the system file, then the working directory's.</summary>
    public static IReadOnlyList<string> DefaultFiles { get; } = ["/etc/vmm/vmm.toml", "vmm.toml"];

    public const string DefaultAddress = "unix:./vmm.sock";

    /// <summary>Rocket's default port, used when a TCP address names no port and no <c>port</c> key is set.</summary>
    public const long RocketDefaultPort = 8000;

    public override string ToString() => $"VmmToml {{ Files = {string.Join(", ", Files)}, Address = {Address} }}";

    /// <summary>Reads <paramref name="files"/> in merge order; every file must exist.</summary>
    public static VmmToml Load(IReadOnlyList<string> files)
    {
        var tables = new List<(string File, TomlTable Table)>();
        foreach (var file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FileNotFoundException($"cannot read {file}: {e.Message}", file, e);
            }
            tables.Add((file, Parse(file, text)));
        }
        var layers = new Layers(tables);
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var imagePath = NullIfEmpty(layers.String("image", "path")) ?? NullIfEmpty(layers.String(null, "image_path"))
            ?? Path.Combine(home, ".dstack-vmm", "image");
        var runPath = NullIfEmpty(layers.String(null, "run_path")) ?? Path.Combine(home, ".dstack-vmm", "vm");
        var authEnabled = layers.Bool("auth", "enabled") ?? false;
        var tokens = layers.StringArray("auth", "tokens");
        return new VmmToml(
            files.ToList(),
            layers.String(null, "address") ?? DefaultAddress,
            layers.Long(null, "port"),
            authEnabled && tokens.Count > 0 ? tokens[0] : null,
            NullIfEmpty(layers.String(null, "kms_url")),
            NullIfEmpty(layers.String("gateway", "base_domain")),
            layers.Long("gateway", "port"),
            layers.Long("gateway", "agent_port"),
            Absolute(imagePath, files[^1]),
            Absolute(runPath, files[^1]));
    }

    /// <summary>dstack-vmm makes its paths absolute against its working directory, which is normally its config's.</summary>
    private static string Absolute(string path, string lastFile) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(lastFile))!, path));

    /// <summary>
    /// The endpoint Teehouse registers: <c>unix:/abs/path.sock</c> (a relative socket path is taken relative to the
    /// last file's directory, where dstack-vmm is normally started), or <c>http://host:port</c> with a wildcard
    /// listen address replaced by loopback.
    /// </summary>
    public string Endpoint()
    {
        if (Address.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            var path = Address["unix:".Length..];
            if (!Path.IsPathRooted(path))
                path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Files[^1]))!, path));
            return "unix:" + path;
        }
        var host = Address;
        long? port = null;
        var colon = host.LastIndexOf(':');
        if (colon > 0 && !host.EndsWith(']') && host.Count(c => c == ':') == 1
            && long.TryParse(host[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
        {
            port = p;
            host = host[..colon];
        }
        else if (host.StartsWith('[') && host.Contains("]:", StringComparison.Ordinal))
        {
            var end = host.IndexOf("]:", StringComparison.Ordinal);
            if (long.TryParse(host[(end + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p6)) port = p6;
            host = host[..(end + 1)];
        }
        host = host.Trim('[', ']');
        host = host switch
        {
            "0.0.0.0" or "" => "127.0.0.1",
            "::" => "::1",
            _ => host,
        };
        if (host.Contains(':')) host = $"[{host}]";
        var effectivePort = Port ?? port ?? RocketDefaultPort;
        return string.Create(CultureInfo.InvariantCulture, $"http://{host}:{effectivePort}");
    }

    private static TomlTable Parse(string file, string text)
    {
        try
        {
            return TomlSerializer.Deserialize(text, VmmTomlContext.Default.TomlTable) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            var first = e.Message.Split('\n', 2)[0].Trim();
            throw new VmmTomlException($"{file}: not valid TOML: {first}");
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>The files' tables, last first: a key is taken from the last file that sets it.</summary>
    private sealed class Layers(List<(string File, TomlTable Table)> tables)
    {
        private (string File, object Value)? Find(string? section, string key)
        {
            for (var i = tables.Count - 1; i >= 0; i--)
            {
                var table = tables[i].Table;
                if (section is not null)
                {
                    if (!table.TryGetValue(section, out var s)) continue;
                    if (s is not TomlTable t) throw Wrong(tables[i].File, section, null, "a table");
                    table = t;
                }
                if (table.TryGetValue(key, out var value)) return (tables[i].File, value);
            }
            return null;
        }

        public string? String(string? section, string key) => Find(section, key) switch
        {
            null => null,
            ({ } _, string s) => s,
            var (file, _) => throw Wrong(file, section, key, "a string"),
        };

        public long? Long(string? section, string key) => Find(section, key) switch
        {
            null => null,
            ({ } _, long l) => l,
            var (file, _) => throw Wrong(file, section, key, "an integer"),
        };

        public bool? Bool(string? section, string key) => Find(section, key) switch
        {
            null => null,
            ({ } _, bool b) => b,
            var (file, _) => throw Wrong(file, section, key, "true or false"),
        };

        public IReadOnlyList<string> StringArray(string? section, string key)
        {
            var found = Find(section, key);
            if (found is null) return [];
            var (file, value) = found.Value;
            if (value is not TomlArray array || array.Any(v => v is not string))
                throw Wrong(file, section, key, "an array of strings");
            return array.Cast<string>().ToList();
        }

        private static VmmTomlException Wrong(string file, string? section, string? key, string expected)
        {
            var name = section is null ? key : key is null ? section : $"{section}.{key}";
            return new VmmTomlException($"{file}: key '{name}' must be {expected}");
        }
    }
}

[TomlSerializable(typeof(TomlTable))]
internal partial class VmmTomlContext : TomlSerializerContext;
