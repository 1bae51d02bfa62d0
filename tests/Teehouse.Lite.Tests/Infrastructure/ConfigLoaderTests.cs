using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Tests.Infrastructure;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string text, string name = "teehouse.toml")
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_example_file_is_valid_and_documents_every_key()
    {
        var example = Path.Combine(RepoRoot.Path, "teehouse.toml.example");
        var config = ConfigLoader.Load(example);
        Assert.Equal("127.0.0.1:8080", config.Server.Listen);
        Assert.Contains("FREE", config.Tiers.Keys);

        // Every key of the schema must be explained in the example (commented-out [[kms]] entries count).
        var text = File.ReadAllText(example);
        foreach (var key in ConfigSchema.Keys)
        {
            var leaf = key[(key.LastIndexOf('.') + 1)..];
            Assert.Matches($@"(?m)^#?\s*{leaf}\s*=", text);
        }
    }

    [Fact]
    public void Defaults_apply_when_the_file_is_empty_and_relative_paths_follow_the_file()
    {
        var config = ConfigLoader.Load(Write(""));
        Assert.Equal("127.0.0.1:8080", config.Server.Listen);
        Assert.Equal(Path.Combine(_dir.Path, "data", "teehouse.db"), config.Database.Path);
        Assert.Equal(5000, config.Database.BusyTimeoutMs);
        Assert.Equal(2, config.Tiers["FREE"].MaxVcpu);
    }

    [Fact]
    public void Tiers_and_kms_entries_are_read()
    {
        var config = ConfigLoader.Load(Write("""
            [tiers.FREE]
            max_vcpu = 1
            [tiers.PRO]
            max_instances = 10
            max_memory = 65536
            [[kms]]
            id = "kms-1"
            url = "https://kms.example:8000"
            version = "0.5.5"
            chain_id = 8453
            [[kms]]
            id = "kms-2"
            url = "http://127.0.0.1:8001"
            """));
        Assert.Equal(1, config.Tiers["FREE"].MaxVcpu);
        Assert.Null(config.Tiers["FREE"].MaxDisk);
        Assert.Equal(10, config.Tiers["PRO"].MaxInstances);
        Assert.Equal(["kms-1", "kms-2"], config.Kms.Select(k => k.Id));
        Assert.Equal(8453, config.Kms[0].ChainId);
        Assert.Null(config.Kms[1].ChainId);
    }

    [Theory]
    [InlineData("[server]\nlisten = \"127.0.0.1:1\"\nlistne = \"x\"\n", ":3: unknown key 'server.listne'")]
    [InlineData("[srever]\nlisten = \"x\"\n", ":1: unknown table 'srever'")]
    [InlineData("[tiers.PRO]\nmax_cpus = 4\n", ":2: unknown key 'tiers.PRO.max_cpus'")]
    [InlineData("[[kms]]\nid = \"a\"\nurl = \"http://a\"\nsecret = 1\n", ":4: unknown key 'kms[].secret'")]
    [InlineData("server.listen = \"127.0.0.1:1\"\nserver.lsten = 1\n", ":2: unknown key 'server.lsten'")]
    [InlineData("[server]\nlisten = 8080\n", ":2:10: 'server.listen': expected string, found integer")]
    [InlineData("[database]\nbusy_timeout_ms = \"5s\"\n", ":2:19: 'database.busy_timeout_ms': expected integer, found string")]
    [InlineData("[server\n", ":1:8: invalid TOML")]
    [InlineData("[server]\nlisten = \"nowhere\"\n", "server.listen: 'nowhere' is not HOST:PORT")]
    [InlineData("[log]\nlevel = \"chatty\"\n", "log.level: 'chatty' is not one of")]
    [InlineData("[[kms]]\nid = \"a\"\nurl = \"http://a\"\n[[kms]]\nid = \"a\"\nurl = \"http://b\"\n", "kms[1].id: 'a' is used twice")]
    [InlineData("[[kms]]\nid = \"a\"\nurl = \"ftp://a\"\n", "kms[0].url: 'ftp://a' is not an http(s) URL")]
    [InlineData("[tiers.FREE]\nmax_vcpu = -1\n", "tiers.FREE.max_vcpu: must not be negative")]
    public void A_bad_file_is_one_clear_line_naming_the_place(string toml, string expected)
    {
        var path = Write(toml);
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith(path, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_named_file_that_does_not_exist_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(_dir.File("missing.toml")));
        Assert.EndsWith("missing.toml: config file not found", error.Message);
    }

    [Fact]
    public void The_effective_config_round_trips_through_toml()
    {
        var config = ConfigLoader.Load(Write("[server]\nlisten = \"127.0.0.1:9000\"\n[tiers.PRO]\nmax_vcpu = 8\n"));
        var again = ConfigLoader.Parse(ConfigWriter.ToToml(config), "effective");
        Assert.Equal("127.0.0.1:9000", again.Server.Listen);
        Assert.Equal(8, again.Tiers["PRO"].MaxVcpu);
        Assert.Equal(config.Database.Path, again.Database.Path);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", true)]
    [InlineData("0.0.0.0:0", true)]
    [InlineData("[::1]:8080", true)]
    [InlineData("localhost:80", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("example.com:80", false)]
    [InlineData("127.0.0.1:70000", false)]
    public void Listen_addresses_are_host_and_port(string value, bool valid) =>
        Assert.Equal(valid, ListenAddress.TryParse(value, out _));
}
