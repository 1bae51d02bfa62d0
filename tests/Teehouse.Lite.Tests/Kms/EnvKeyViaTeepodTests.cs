using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Kms;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// The keys a teepod's vmm hands over (provision, a KMS CVM's detail) are verified too, against the pin of the KMS that
/// teepod uses. The teepod is reached through a man in the middle (<see cref="MitmProxy"/>); its KMS directly.
/// </summary>
public sealed class EnvKeyViaTeepodTests : IAsyncLifetime
{
    private const string VmmKeyPath = "/prpc/GetAppEnvEncryptPubKey";
    private static readonly TestK256Signer Attacker = new("attacker");

    private readonly string _fakeKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    private SimulatorHost _sim = null!;
    private MitmProxy _proxy = null!;
    private TestApp _app = null!;
    private HttpClient _user = null!;
    private long _teepodId;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 });
        _proxy = await MitmProxy.StartAsync(_sim.BaseUrl);
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Vmm.RequestTimeoutMs = 3000;
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString().TrimEnd('/'), Version = "0.5.5" });
            c.Tiers["PRO"] = new() { MaxInstances = 10, MaxVcpu = 16 };
        });
        _teepodId = await RegisterAsync(_app, "tdx-1", _proxy.BaseUrl);
        _user = _app.Client(await _app.CreateTokenAsync("dana"), apiKeyHeader: true);
        await new UserStore(_app.Db).SetCreditsAsync("dana", 50m);
        await new UserStore(_app.Db).SetTierAsync("dana", "PRO");
    }

    public async ValueTask DisposeAsync()
    {
        _user.Dispose();
        await _app.DisposeAsync();
        await _proxy.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private static async Task<long> RegisterAsync(TestApp app, string name, Uri endpoint)
    {
        using var admin = await app.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "{{name}}", "endpoint": "{{endpoint.ToString().TrimEnd('/')}}"}"""), Ct);
        var body = await Json.ReadAsync(registered);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        return body.GetProperty("id").GetInt64();
    }

    private Task<HttpResponseMessage> ProvisionAsync(HttpClient? user = null) =>
        (user ?? _user).PostAsync("/api/v1/cvms/provision", Json.Body("""
            {"name": "keyed", "instance_type": "tdx.small", "compose_file": {"docker_compose_file": "services: {}", "kms_enabled": true}}
            """), Ct);

    [Fact]
    public async Task Provision_hands_out_only_a_key_that_verifies_against_the_pin_of_the_teepods_kms()
    {
        foreach (var resign in new[] { false, true })
        {
            _proxy.SwapEnvKey(VmmKeyPath, _fakeKey, resign ? Attacker : null);
            var response = await ProvisionAsync();
            Assert.DoesNotContain(_fakeKey, await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal("the env-encryption key from teepod 'tdx-1' has a signature that does not verify against KMS 'local-kms''s pinned key",
                await Json.AssertDetailAsync(response, HttpStatusCode.BadGateway));
        }
        await using (var c = await _app.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM pending_operations")); // nothing to commit to

        _proxy.Rewrite = null;
        var provision = await Json.ReadAsync(await ProvisionAsync());
        var appId = provision.GetProperty("app_id").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(_sim.State.GetEnvEncryptPublicKey(appId)), provision.GetProperty("app_env_encrypt_pubkey").GetString());
        // Pinned from the KMS's own GetMeta, read directly, never from the vmm that relays the key.
        var pin = Assert.Single(await new KmsPinStore(_app.Db).ListAsync());
        Assert.Equal(_sim.State.KmsK256PublicKey, pin.K256Pubkey);
        Assert.StartsWith($"GetMeta of {_sim.KmsUrl.ToString().TrimEnd('/')} ", pin.LearnedFrom);
    }

    [Fact]
    public async Task A_kms_cvms_detail_never_learns_a_swapped_key()
    {
        var uuid = _sim.State.AddVm(new Teehouse.Lite.Simulator.Vms.VmSpec
        {
            Name = "imported", Vcpu = 1, Memory = 2048,
            ComposeFile = """{"docker_compose_file": "services: {}", "kms_enabled": true, "manifest_version": 2, "name": "imported", "runner": "docker-compose"}""",
        });
        var config = _app.Dir.File("cli.toml");
        File.WriteAllText(config, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n");
        Assert.Equal(0, (await CliRunner.RunAsync("import", "--teepod", _teepodId.ToString(), "--owner", "dana", "--config", config)).ExitCode);

        _proxy.SwapEnvKey(VmmKeyPath, _fakeKey, Attacker);
        var swapped = await _user.GetAsync($"/api/v1/cvms/{uuid}", Ct);
        Assert.Equal(HttpStatusCode.OK, swapped.StatusCode); // the CVM is shown, without a key
        Assert.DoesNotContain(_fakeKey, await swapped.Content.ReadAsStringAsync(Ct));
        Assert.Equal(JsonValueKind.Null, (await Json.ReadAsync(swapped)).GetProperty("kms_info").GetProperty("encrypted_env_pubkey").ValueKind);
        await using (var c = await _app.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM apps WHERE env_pubkey IS NOT NULL"));

        _proxy.Rewrite = null;
        var detail = await Json.ReadAsync(await _user.GetAsync($"/api/v1/cvms/{uuid}", Ct));
        var appId = detail.GetProperty("app_id").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(_sim.State.GetEnvEncryptPublicKey(appId)),
            detail.GetProperty("kms_info").GetProperty("encrypted_env_pubkey").GetString());
    }

    /// <summary>
    /// A KMS reachable only from its hosts, never pinned: its GetMeta cannot be read, so no key can be verified. The
    /// admin is told which key the relayed answer is signed by, to compare with the KMS's and pin.
    /// </summary>
    [Fact]
    public async Task An_unpinned_kms_reachable_only_through_its_teepod_is_refused_with_how_to_pin_it()
    {
        var hostOnlyKms = $"http://127.0.0.1:{ClosedPort()}/kms";
        await using var host = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, Seed = 7, KmsUrls = [hostOnlyKms] });
        await using var app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Kms.Add(new() { Id = "host-kms", Url = hostOnlyKms, Version = "0.5.5" });
        });
        await RegisterAsync(app, "host-1", host.BaseUrl);
        using var user = app.Client(await app.CreateTokenAsync("erin"));
        using var admin = await app.AdminClientAsync();
        var path = $"/api/v1/kms/host-kms/pubkey/{new string('a', 40)}";

        var detail = await Json.AssertDetailAsync(await user.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.StartsWith("KMS 'host-kms''s k256 signing key is unknown, so its env-encryption key cannot be verified: it was never pinned and GetMeta failed: KMS 'host-kms' is unreachable;", detail);
        Assert.EndsWith("an admin must pin it (k256_pubkey in its [[kms]] entry)", detail);
        var full = await Json.AssertDetailAsync(await admin.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.Contains($"teepod 'host-1' ({host.BaseUrl.ToString().TrimEnd('/')}) answered a key signed by {host.State.KmsK256PublicKey}", full);
        Assert.EndsWith($"pin it with k256_pubkey = \"{host.State.KmsK256PublicKey}\" in the [[kms]] entry with url = \"{hostOnlyKms}\"", full);
        Assert.Empty(await new KmsPinStore(app.Db).ListAsync());
    }

    [Fact]
    public async Task A_kms_known_only_from_its_teepod_is_pinned_by_its_url()
    {
        await using var app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        await RegisterAsync(app, "tdx-1", _sim.BaseUrl);
        using var user = app.Client(await app.CreateTokenAsync("erin"));
        using var admin = await app.AdminClientAsync();
        var id = KmsCatalog.IdOf(_sim.KmsUrl.ToString());
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync($"/api/v1/kms/{id}/pubkey/{new string('b', 40)}", Ct)).StatusCode);

        var pin = Assert.Single((await Json.ReadAsync(await admin.GetAsync("/api/v1/kms/pins", Ct))).GetProperty("items").EnumerateArray());
        Assert.Equal(id, pin.GetProperty("kms_id").GetString());
        Assert.Equal(_sim.KmsUrl.ToString().TrimEnd('/'), pin.GetProperty("url").GetString());
        Assert.Equal("first_use", pin.GetProperty("source").GetString());
        Assert.Equal(_sim.State.KmsK256PublicKey, pin.GetProperty("k256_pubkey").GetString());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
