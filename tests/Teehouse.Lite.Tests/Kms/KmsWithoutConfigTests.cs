using System.Net;
using System.Text.Json;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>A fresh install: no [[kms]] in the config. The KMS the teepod uses is offered all the same.</summary>
public sealed class KmsWithoutConfigTests : IAsyncLifetime
{
    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _user = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 0 });
        _app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        using var admin = await _app.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        _user = _app.Client(await _app.CreateTokenAsync("dana"), apiKeyHeader: true);
        await new UserStore(_app.Db).SetCreditsAsync("dana", 10m);
    }

    public async ValueTask DisposeAsync()
    {
        _user.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    [Fact]
    public async Task The_teepods_kms_is_listed_found_and_asked_for_keys_under_a_stable_id()
    {
        Assert.Empty(_app.Config.Kms);
        var list = await Json.ReadAsync(await _user.GetAsync("/api/v1/kms", Ct));
        var kms = Assert.Single(list.GetProperty("items").EnumerateArray());
        var id = kms.GetProperty("id").GetString()!;
        var url = kms.GetProperty("url").GetString()!;
        Assert.Equal(KmsCatalog.IdOf(url), id);
        Assert.Matches("^kms-[0-9a-f]{12}$", id);
        Assert.Equal(JsonValueKind.Null, kms.GetProperty("chain_id").ValueKind);

        Assert.Equal(HttpStatusCode.OK, (await _user.GetAsync($"/api/v1/kms/{id}", Ct)).StatusCode);
        var key = await Json.ReadAsync(await _user.GetAsync($"/api/v1/kms/{id}/pubkey/{new string('a', 40)}", Ct));
        Assert.Matches("^[0-9a-f]{64}$", key.GetProperty("public_key").GetString()!);

        // A deploy names it, and hands out the key to encrypt the env with.
        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body("""
            {"name": "fresh", "instance_type": "tdx.small", "compose_file": {"docker_compose_file": "services: {}"}}
            """), Ct));
        Assert.Equal(id, provision.GetProperty("kms_info").GetProperty("id").GetString());
        Assert.Matches("^[0-9a-f]{64}$", provision.GetProperty("app_env_encrypt_pubkey").GetString()!);
    }

    [Fact]
    public void Derived_ids_depend_on_the_url_alone()
    {
        Assert.Equal(KmsCatalog.IdOf("https://kms.example:8000"), KmsCatalog.IdOf(" HTTPS://kms.example:8000/ "));
        Assert.NotEqual(KmsCatalog.IdOf("https://kms.example:8000"), KmsCatalog.IdOf("https://kms.example:8001"));
        var derived = KmsCatalog.Derive([
            new TeepodRecord { Name = "a", KmsUrl = "https://k:1/", KmsVersion = "0.5.5" },
            new TeepodRecord { Name = "b", KmsUrl = "https://K:1" },
            new TeepodRecord { Name = "c", KmsUrl = null },
        ]);
        var only = Assert.Single(derived);
        Assert.Equal("https://k:1", only.Url);
        Assert.Equal("0.5.5", only.Version);
    }
}
