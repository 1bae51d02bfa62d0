using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Tests.Tools;

/// <summary>
/// Image digests and dstack-mr measurements of a teepod added with add-local, through the API, with dstack-mr
/// faked on the server's tool search path (present, missing, failing, hanging).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalImagesTests
{
    private static readonly string Mrtd = new('a', 96), Rtmr0 = new('b', 96), Rtmr1 = new('c', 96), Rtmr2 = new('d', 96);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A dstack-mr that logs a line first (its tracing goes to stdout), records each run, then prints the JSON.</summary>
    private static void FakeDstackMr(Infrastructure.Processes.FakeTools tools, string runs) => tools.Add("dstack-mr", $$"""
        echo "$@" >> {{runs}}
        sleep 0.3
        echo "2026-12-02T00:00:00Z  INFO dstack_mr: measuring"
        echo '{"mrtd": "{{Mrtd.ToUpperInvariant()}}", "rtmr0": "{{Rtmr0}}", "rtmr1": "{{Rtmr1}}", "rtmr2": "{{Rtmr2}}"}'
        """);

    [Fact]
    public async Task Digests_from_the_image_directory_are_served_in_os_images_and_available_and_follow_the_next_ping()
    {
        await using var stage = await LocalHostStage.StartAsync(_ => { });
        var prodDigest = stage.Sim.State.Images.Single(i => i.Name == LocalHostStage.ProdImage).EffectiveDigest;
        using var admin = await stage.App.AdminClientAsync();
        using var user = await stage.App.UserClientAsync();

        var images = (await LocalHostStage.GetJsonAsync(user, "/api/v1/os-images")).GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("name").GetString()!);
        Assert.Equal(prodDigest, images[LocalHostStage.ProdImage].GetProperty("os_image_hash").GetString());
        Assert.False(images[LocalHostStage.ProdImage].TryGetProperty("measurements", out _));

        var node = (await LocalHostStage.GetJsonAsync(admin, "/api/v1/teepods/available")).GetProperty("nodes").EnumerateArray().Single();
        var offered = node.GetProperty("images").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);
        Assert.Equal(prodDigest, offered[LocalHostStage.ProdImage].GetProperty("os_image_hash").GetString());

        // A new image release unpacked over the old one: the next ping shows its digest; a broken digest shows none.
        var next = new string('e', 64);
        stage.WriteImage(LocalHostStage.ProdImage, next.ToUpperInvariant() + "\n");
        stage.WriteImage(LocalHostStage.DevImage, "not a digest");
        await stage.PingAsync();
        images = (await LocalHostStage.GetJsonAsync(user, "/api/v1/os-images")).GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("name").GetString()!);
        Assert.Equal(next, images[LocalHostStage.ProdImage].GetProperty("os_image_hash").GetString());
        Assert.Equal(JsonValueKind.Null, images[LocalHostStage.DevImage].GetProperty("os_image_hash").ValueKind);

        var teepod = await new TeepodStore(stage.App.Db).FindAsync(stage.TeepodId);
        Assert.Equal(stage.ImagePath, teepod!.ImagePath);
        Assert.Equal(stage.RunPath, teepod.RunPath); // vmm.toml said ./vm, relative to its own directory
    }

    [Fact]
    public async Task A_teepod_registered_over_the_api_has_no_paths_and_no_digests()
    {
        await using var stage = await LocalHostStage.StartAsync(_ => { });
        await using var other = await Simulator.SimulatorHost.StartAsync(new Simulator.SimulatorOptions { Port = 0, PrepopulateVms = 0 });
        using var admin = await stage.App.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "remote", "endpoint": "{{other.BaseUrl.ToString().TrimEnd('/')}}", "image_path": "/etc"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var id = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
        var record = await new TeepodStore(stage.App.Db).FindAsync(id);
        Assert.Null(record!.ImagePath);
        Assert.Null(record.RunPath);
        var node = (await LocalHostStage.GetJsonAsync(admin, "/api/v1/teepods/available")).GetProperty("nodes").EnumerateArray()
            .Single(n => n.GetProperty("teepod_id").GetInt64() == id);
        Assert.All(node.GetProperty("images").EnumerateArray(), i => Assert.Equal(JsonValueKind.Null, i.GetProperty("os_image_hash").ValueKind));
    }

    [Fact]
    public async Task Measurements_run_dstack_mr_once_for_concurrent_askers_and_are_served_in_the_list_too()
    {
        using var runsDir = new TempDir();
        var runs = runsDir.File("runs.txt");
        await using var stage = await LocalHostStage.StartAsync(t => FakeDstackMr(t, runs));
        using var user = await stage.App.UserClientAsync();
        const string path = "/api/v1/os-images/dstack-0.5.5/measurements?vcpu=2&memory_mb=4096";

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => user.GetAsync(path, Ct)));
        foreach (var answer in answers)
        {
            var body = await Json.ReadAsync(answer);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, body.ToString());
            Assert.Equal(Mrtd, body.GetProperty("mrtd").GetString()); // lower-cased
            Assert.Equal(Rtmr2, body.GetProperty("rtmr2").GetString());
            Assert.Equal(2, body.GetProperty("vcpu").GetInt32());
            Assert.Equal(4096, body.GetProperty("memory_mb").GetInt64());
            Assert.Equal(stage.TeepodId, body.GetProperty("teepod_id").GetInt64());
            Assert.Equal(stage.Sim.State.Images.Single(i => i.Name == "dstack-0.5.5").EffectiveDigest, body.GetProperty("os_image_hash").GetString());
        }
        var lines = File.ReadAllLines(runs);
        Assert.Single(lines);
        Assert.Equal($"measure --cpu 2 --memory 4096M --json {Path.Combine(stage.ImagePath, "dstack-0.5.5", "metadata.json")}", lines[0]);

        // The list with a size: the same answer (already computed for prod), and dev measured once more.
        var items = (await LocalHostStage.GetJsonAsync(user, "/api/v1/os-images?vcpu=2&memory_mb=4096")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal(Rtmr0, i.GetProperty("measurements").GetProperty("rtmr0").GetString()));
        Assert.Equal(2, File.ReadAllLines(runs).Length);

        // Another size is another measurement.
        await LocalHostStage.GetJsonAsync(user, "/api/v1/os-images/dstack-0.5.5/measurements?vcpu=4&memory_mb=8192");
        Assert.Equal(3, File.ReadAllLines(runs).Length);
    }

    [Theory]
    [InlineData("vcpu=2")]
    [InlineData("memory_mb=4096")]
    [InlineData("vcpu=0&memory_mb=4096")]
    [InlineData("vcpu=2&memory_mb=12")]
    [InlineData("vcpu=two&memory_mb=4096")]
    [InlineData("vcpu=2&memory_mb=4096&teepod_id=x")]
    public async Task Bad_sizes_are_422(string query)
    {
        await using var stage = await LocalHostStage.StartAsync(_ => { });
        using var user = await stage.App.UserClientAsync();
        await Json.AssertValidationAsync(await user.GetAsync($"/api/v1/os-images/dstack-0.5.5/measurements?{query}", Ct));
        if (!query.Contains("teepod_id"))
            await Json.AssertValidationAsync(await user.GetAsync($"/api/v1/os-images?{query}", Ct));
    }

    [Fact]
    public async Task Unknown_or_remote_images_are_404()
    {
        await using var stage = await LocalHostStage.StartAsync(_ => { });
        using var user = await stage.App.UserClientAsync();
        var detail = await Json.AssertDetailAsync(await user.GetAsync("/api/v1/os-images/dstack-9.9.9/measurements?vcpu=1&memory_mb=2048", Ct), HttpStatusCode.NotFound);
        Assert.Contains("dstack-9.9.9", detail);
        await Json.AssertDetailAsync(await user.GetAsync($"/api/v1/os-images/dstack-0.5.5/measurements?vcpu=1&memory_mb=2048&teepod_id={stage.TeepodId + 1}", Ct), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await user.GetAsync("/api/v1/os-images/..%2F..%2Fetc/measurements?vcpu=1&memory_mb=2048", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_missing_dstack_mr_is_a_502_that_says_so_and_users_see_no_paths()
    {
        await using var stage = await LocalHostStage.StartAsync(_ => { });
        using var admin = await stage.App.AdminClientAsync();
        using var user = await stage.App.UserClientAsync();
        const string path = "/api/v1/os-images/dstack-0.5.5/measurements?vcpu=1&memory_mb=2048";

        var forAdmin = await Json.AssertDetailAsync(await admin.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.Contains("dstack-mr is not installed", forAdmin);
        Assert.Contains(stage.Tools.Dir, forAdmin); // the operator is told where we looked
        var forUser = await Json.AssertDetailAsync(await user.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.Contains("dstack-mr is not installed", forUser);
        Assert.DoesNotContain(stage.Tools.Dir, forUser);
        Assert.DoesNotContain("/usr/bin", forUser);

        // The list still answers, without measurements.
        var items = (await LocalHostStage.GetJsonAsync(user, "/api/v1/os-images?vcpu=1&memory_mb=2048")).GetProperty("items").EnumerateArray();
        Assert.All(items, i => Assert.False(i.TryGetProperty("measurements", out _)));
    }

    [Fact]
    public async Task A_failing_dstack_mr_is_a_502_with_its_error_and_is_not_rerun_for_every_request()
    {
        using var runsDir = new TempDir();
        var runs = runsDir.File("runs.txt");
        await using var stage = await LocalHostStage.StartAsync(t => t.Add("dstack-mr", $"""
            echo run >> {runs}
            echo "Error: Failed to read image metadata" >&2
            exit 1
            """));
        using var admin = await stage.App.AdminClientAsync();
        const string path = "/api/v1/os-images/dstack-0.5.5/measurements?vcpu=1&memory_mb=2048";
        var detail = await Json.AssertDetailAsync(await admin.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.Contains("dstack-mr exited with code 1: Error: Failed to read image metadata", detail);
        await Json.AssertDetailAsync(await admin.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.Single(File.ReadAllLines(runs));
    }

    [Fact]
    public async Task A_hanging_dstack_mr_is_a_504_within_the_tool_timeout()
    {
        await using var stage = await LocalHostStage.StartAsync(t => t.Add("dstack-mr", "sleep 60"), toolTimeoutMs: 1000);
        using var admin = await stage.App.AdminClientAsync();
        var clock = Stopwatch.StartNew();
        var detail = await Json.AssertDetailAsync(
            await admin.GetAsync("/api/v1/os-images/dstack-0.5.5/measurements?vcpu=1&memory_mb=2048", Ct), HttpStatusCode.GatewayTimeout);
        Assert.Contains("did not finish within 1 s", detail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("dstack-0.5.5", true)]
    [InlineData("dstack-nvidia-dev-0.5.11", true)]
    [InlineData("../etc", false)]
    [InlineData("a/b", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    [InlineData("x y", false)]
    public void Image_names_become_paths_only_when_dstack_vmm_would_accept_them(string name, bool valid)
    {
        Assert.Equal(valid, ImageDirectory.IsValidName(name));
        Assert.Equal(valid, ImageDirectory.MetadataPath("/img", name) is not null);
        if (!valid) Assert.Null(ImageDirectory.ReadDigest("/img", name));
    }

    [Fact]
    public void Digest_files_that_are_not_one_hash_give_no_digest()
    {
        using var dir = new TempDir();
        void Write(string name, string text)
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, name));
            File.WriteAllText(Path.Combine(dir.Path, name, "digest.txt"), text);
        }
        Write("ok", new string('A', 64) + "\n");
        Write("short", "abc123");
        Write("long", new string('a', 10_000));
        Write("words", "sha256: " + new string('a', 64));
        Assert.Equal(new string('a', 64), ImageDirectory.ReadDigest(dir.Path, "ok"));
        Assert.Null(ImageDirectory.ReadDigest(dir.Path, "short"));
        Assert.Null(ImageDirectory.ReadDigest(dir.Path, "long"));
        Assert.Null(ImageDirectory.ReadDigest(dir.Path, "words"));
        Assert.Null(ImageDirectory.ReadDigest(dir.Path, "absent"));
    }
}
