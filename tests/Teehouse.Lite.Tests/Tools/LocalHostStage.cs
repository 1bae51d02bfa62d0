using System.Net.Http.Json;
using System.Text.Json;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Fleet;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Tests.Cli;
using Teehouse.Lite.Tests.Infrastructure.Processes;

namespace Teehouse.Lite.Tests.Tools;

/// <summary>
/// A dstack host as Teehouse sees it from the box itself: a simulated dstack-vmm, its image directory on disk
/// (metadata.json and digest.txt per image, as a release tarball unpacks), a VM run directory, fake host tools on the
/// server's <c>[tools] search_path</c>, and the vmm registered with <c>teehouse teepod add-local</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalHostStage : IAsyncDisposable
{
    public const string ProdImage = "dstack-0.5.5";
    public const string DevImage = "dstack-dev-0.5.5";

    private LocalHostStage(TempDir dir, FakeTools tools, SimulatorHost sim, TestApp app)
    {
        Dir = dir;
        Tools = tools;
        Sim = sim;
        App = app;
    }

    public TempDir Dir { get; }
    public FakeTools Tools { get; }
    public SimulatorHost Sim { get; }
    public TestApp App { get; }
    public string ImagePath => Path.Combine(Dir.Path, "image");
    public string RunPath => Path.Combine(Dir.Path, "vm");
    public long TeepodId { get; private set; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="addTools">The fakes the host has (none: no dstack-mr, no qemu-img).</param>
    public static async Task<LocalHostStage> StartAsync(Action<FakeTools> addTools, int toolTimeoutMs = 5000, int vms = 2)
    {
        var dir = new TempDir();
        var tools = new FakeTools();
        addTools(tools);
        var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = vms });
        var app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Tools.SearchPath = tools.SearchPath;
            c.Tools.TimeoutMs = toolTimeoutMs;
        });
        var stage = new LocalHostStage(dir, tools, sim, app);
        foreach (var image in sim.State.Images)
            stage.WriteImage(image.Name, image.EffectiveDigest);
        Directory.CreateDirectory(stage.RunPath);
        await stage.AddLocalAsync();
        return stage;
    }

    public void WriteImage(string name, string digestText)
    {
        var dir = Path.Combine(ImagePath, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "metadata.json"),
            """{"cmdline":"console=ttyS0","kernel":"bzImage","initrd":"initramfs.cpio.gz","bios":"ovmf.fd","version":"0.5.5","is_dev":false}""");
        File.WriteAllText(Path.Combine(dir, "digest.txt"), digestText);
    }

    public string CliConfig()
    {
        var config = App.Dir.File("cli.toml");
        File.WriteAllText(config, $"[database]\npath = \"{App.Config.Database.Path}\"\n[log]\nfile = \"\"\n");
        return config;
    }

    private async Task AddLocalAsync()
    {
        var vmmToml = Dir.File("vmm.toml");
        File.WriteAllText(vmmToml, $"""
            address = "127.0.0.1"
            port = {Sim.BaseUrl.Port}
            run_path = "./vm"
            [image]
            path = "{ImagePath}"
            """);
        var added = await CliRunner.RunAsync(["teepod", "add-local", "--vmm-config", vmmToml, "--config", CliConfig(), "--name", "box"]);
        Assert.True(added.ExitCode == ExitCodes.Ok, added.Err);
        using var admin = await App.AdminClientAsync();
        var list = await Json.ReadAsync(await admin.GetAsync("/api/v1/teepods", Ct));
        TeepodId = list.EnumerateArray().Single().GetProperty("id").GetInt64();
    }

    public async Task<CliResult> ImportAsync(string owner) =>
        await CliRunner.RunAsync("import", "--teepod", TeepodId.ToString(), "--owner", owner, "--config", CliConfig());

    public Task PingAsync() => ((TeepodPinger)App.App.Services.GetService(typeof(TeepodPinger))!).PingAllAsync(Ct);

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, Ct);
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Sim.DisposeAsync();
        Tools.Dispose();
        Dir.Dispose();
    }
}
