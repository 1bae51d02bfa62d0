using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests;

/// <summary>
/// The common stage of the deploy-side tests: a simulated dstack-vmm (with its KMS) registered as teepod "tdx-1" on
/// a running app, and a user "dana" with credits on the PRO tier whose client sends X-API-Key, as the SDK does.
/// </summary>
public abstract class SimulatedTeepodTest : IAsyncLifetime
{
    protected SimulatorHost _sim = null!;
    protected TestApp _app = null!;
    protected HttpClient _user = null!;
    protected long _teepodId;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Extra configuration on top of the stage's (a ping interval that never fires, the KMS, a PRO tier).</summary>
    protected virtual void Configure(TeehouseConfig config) { }

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 0 });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString().TrimEnd('/'), Version = "0.5.5" });
            c.Tiers["PRO"] = new() { MaxInstances = 10, MaxVcpu = 16 };
            Configure(c);
        });
        using var admin = await _app.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        _teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
        _user = _app.Client(await _app.CreateTokenAsync("dana"), apiKeyHeader: true);
        await new UserStore(_app.Db).SetCreditsAsync("dana", 50m);
        await new UserStore(_app.Db).SetTierAsync("dana", "PRO");
    }

    public async ValueTask DisposeAsync()
    {
        _user.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
