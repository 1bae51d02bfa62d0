using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Tools;

/// <summary><c>teehouse teepod add-local</c> through the real command line against a simulated dstack-vmm.</summary>
public sealed class AddLocalTests : IAsyncLifetime
{
    private const string Token = "vmm-secret-token-1234";
    private readonly TempDir _dir = new();
    private SimulatorHost _sim = null!;
    private string _config = "";

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 2, AuthEnabled = true, Tokens = [Token] });
        _config = _dir.File("teehouse.toml");
        File.WriteAllText(_config, "[database]\npath = \"db/teehouse.db\"\n[log]\nfile = \"\"\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _sim.DisposeAsync();
        _dir.Dispose();
    }

    private Task<CliResult> AddLocal(string vmmToml, params string[] extra) =>
        CliRunner.RunAsync(["teepod", "add-local", "--vmm-config", vmmToml, "--config", _config, .. extra]);

    private string WriteToml(string name, string text)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private int SimPort => _sim.BaseUrl.Port;

    private async Task<IReadOnlyList<TeepodRecord>> TeepodsAsync() =>
        await new TeepodStore(new Db(Path.Combine(Path.GetDirectoryName(_config)!, "db/teehouse.db"), 5000)).ListAsync(includeDisabled: true);

    [Fact]
    public async Task Registers_a_tcp_vmm_with_its_auth_token_and_updates_it_on_a_second_run()
    {
        var file = WriteToml("vmm.toml", $"""
            address = "0.0.0.0"
            port = {SimPort}
            image_path = "/nowhere"
            [auth]
            enabled = true
            tokens = ["{Token}", "second"]
            [gateway]
            base_domain = "apps.example.test"
            """);

        var first = await AddLocal(file, "--name", "box-1");
        Assert.True(first.ExitCode == 0, first.Err);
        Assert.Contains($"Registered teepod 1 ('box-1') at http://127.0.0.1:{SimPort} with the [auth] token", first.Out);
        Assert.DoesNotContain(Token, first.Out + first.Err);
        var stored = Assert.Single(await TeepodsAsync());
        Assert.Equal(Token, stored.AuthToken);
        Assert.Equal($"http://127.0.0.1:{SimPort}", stored.Endpoint);
        Assert.Equal("apps.example.test", stored.TproxyBaseDomain);
        Assert.Equal(2, stored.VmCount);

        var second = await AddLocal(file);
        Assert.True(second.ExitCode == 0, second.Err);
        Assert.Contains($"Updated teepod 1 ('box-1') at http://127.0.0.1:{SimPort}", second.Out);
        Assert.DoesNotContain(Token, second.Out + second.Err);
        Assert.Single(await TeepodsAsync());
    }

    [Fact]
    public async Task The_kms_url_of_the_vmm_toml_is_probed_and_stored()
    {
        var kms = _sim.KmsUrl.ToString().TrimEnd('/');
        var file = WriteToml("vmm.toml", $"""
            address = "127.0.0.1:{SimPort}"
            kms_url = "{kms}"
            [auth]
            enabled = true
            tokens = ["{Token}"]
            """);
        var result = await AddLocal(file);
        Assert.True(result.ExitCode == 0, result.Err);
        Assert.Contains($"KMS {kms}", result.Out);
        var stored = Assert.Single(await TeepodsAsync());
        Assert.Equal(kms, stored.KmsEndpoint);
        Assert.NotNull(stored.KmsCaCertPem);
    }

    [Fact]
    public async Task A_missing_file_is_one_line_and_exit_1()
    {
        var result = await AddLocal(_dir.File("absent.toml"));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"teehouse: {_dir.File("absent.toml")}: no such file", result.Err.Trim());
    }

    [Fact]
    public async Task A_malformed_file_is_exit_2_naming_the_file()
    {
        var file = WriteToml("broken.toml", "address = \"127.0.0.1\nport = = 3\n");
        var result = await AddLocal(file);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"teehouse: {file}: not valid TOML", result.Err);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_key_of_the_wrong_type_is_exit_2_naming_the_key()
    {
        var file = WriteToml("typed.toml", "port = \"9080\"\n[auth]\nenabled = true\ntokens = \"one\"\n");
        var result = await AddLocal(file);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{file}: key 'auth.tokens' must be an array of strings", result.Err);
    }

    [Fact]
    public void Endpoints_follow_the_listen_address()
    {
        Assert.Equal("http://127.0.0.1:9080", Load("address = \"0.0.0.0:9080\"").Endpoint());
        Assert.Equal("http://10.1.2.3:7000", Load("address = \"10.1.2.3:9080\"\nport = 7000").Endpoint());
        Assert.Equal("http://[::1]:9080", Load("address = \"::\"\nport = 9080").Endpoint());
        Assert.Equal("unix:/run/dstack/vmm.sock", Load("address = \"unix:/run/dstack/vmm.sock\"").Endpoint());
        // dstack-vmm's built-in default is a socket next to where it runs: the vmm.toml's directory.
        Assert.Equal("unix:" + _dir.File("vmm.sock"), Load("").Endpoint());
        Assert.Null(Load("[auth]\nenabled = false\ntokens = [\"x\"]").AuthToken);
    }

    [Fact]
    public void A_later_file_wins_key_by_key()
    {
        var system = WriteToml("etc.toml", "address = \"0.0.0.0\"\nport = 9080\nrun_path = \"/var/vm\"\n[image]\npath = \"/img\"\n");
        var local = WriteToml("local.toml", "port = 9999\n");
        var merged = global::Teehouse.Lite.Infrastructure.Dstack.VmmToml.Load([system, local]);
        Assert.Equal("http://127.0.0.1:9999", merged.Endpoint());
        Assert.Equal("/var/vm", merged.RunPath);
        Assert.Equal("/img", merged.ImagePath);
    }

    private global::Teehouse.Lite.Infrastructure.Dstack.VmmToml Load(string text) => global::Teehouse.Lite.Infrastructure.Dstack.VmmToml.Load([WriteToml("vmm.toml", text)]);
}
