using System.Diagnostics;
using System.Net;
using Dapper;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// One key request has one deadline (<c>vmm.request_timeout_ms</c>), however many relays there are: the KMS and the
/// relays run alongside, not one full timeout after another. The KMS is a port that accepts and never answers; three
/// simulated teepods (same seed, so the same KMS keys) relay for it, and hang or answer as each test needs.
/// </summary>
public sealed class KmsDeadlineTests : IAsyncLifetime
{
    private const string AppId = "1234567890abcdef1234567890abcdef12345678";
    private const string Path = $"/api/v1/kms/hung-kms/pubkey/{AppId}";

    private readonly HangingServer _kms = new();
    private readonly List<SimulatorHost> _teepods = [];
    private TestApp _app = null!;
    private HttpClient _admin = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int TimeoutMs => _app.Config.Vmm.RequestTimeoutMs;

    public async ValueTask InitializeAsync()
    {
        for (var i = 0; i < 3; i++) _teepods.Add(await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 }));
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Vmm.RequestTimeoutMs = 2000;
            // Pinned: its GetMeta hangs like the rest of it.
            c.Kms.Add(new() { Id = "hung-kms", Url = _kms.Url, Version = "0.5.5", K256Pubkey = _teepods[0].State.KmsK256PublicKey });
        });
        _admin = await _app.AdminClientAsync();
        for (var i = 0; i < _teepods.Count; i++)
        {
            var registered = await _admin.PostAsync("/api/v1/teepods",
                Json.Body($$"""{"name": "tdx-{{i + 1}}", "endpoint": "{{_teepods[i].BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        }
        // Each teepod hands its CVMs the hanging KMS: each is a relay for it.
        await using var c = await _app.Db.OpenAsync();
        await c.ExecuteAsync("UPDATE teepods SET kms_url = @url", new { url = _kms.Url });
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        foreach (var teepod in _teepods) await teepod.DisposeAsync();
        _kms.Dispose();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_hanging_kms_and_three_hanging_relays_fail_within_one_deadline_not_one_per_peer()
    {
        foreach (var teepod in _teepods) teepod.SetFault(FaultMode.Hang);
        var clock = Stopwatch.StartNew();
        var response = await _admin.GetAsync(Path, TestContext.Current.CancellationToken);
        var elapsed = clock.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"answered after {elapsed.TotalMilliseconds:F0} ms (deadline {TimeoutMs} ms)");

        var detail = await Json.AssertDetailAsync(response, HttpStatusCode.GatewayTimeout);
        // Asked one after another, this took (1 + 3) x the timeout; the slack is for a busy machine.
        Assert.True(elapsed < TimeSpan.FromMilliseconds(2 * TimeoutMs), $"took {elapsed.TotalMilliseconds:F0} ms with a {TimeoutMs} ms deadline");
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(TimeoutMs / 2), $"gave up after {elapsed.TotalMilliseconds:F0} ms");
        Assert.StartsWith($"KMS 'hung-kms' ({_kms.Url}) did not answer GetAppEnvEncryptPubKey within {TimeoutMs} ms; relaying through ", detail);
        for (var i = 0; i < _teepods.Count; i++)
            Assert.Contains($"teepod 'tdx-{i + 1}' ({_teepods[i].BaseUrl.ToString().TrimEnd('/')}) did not answer GetAppEnvEncryptPubKey within {TimeoutMs} ms", detail);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_first_relay_with_a_verified_key_wins_while_the_others_still_hang()
    {
        _teepods[0].SetFault(FaultMode.Hang);
        _teepods[1].SetFault(FaultMode.Hang);
        var clock = Stopwatch.StartNew();
        var response = await _admin.GetAsync(Path, TestContext.Current.CancellationToken);
        var elapsed = clock.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"answered after {elapsed.TotalMilliseconds:F0} ms (deadline {TimeoutMs} ms)");

        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(_teepods[2].State.GetEnvEncryptPublicKey(AppId)), body.GetProperty("public_key").GetString());
        Assert.True(elapsed < TimeSpan.FromMilliseconds(TimeoutMs), $"took {elapsed.TotalMilliseconds:F0} ms: it waited for the hanging peers");
    }
}
