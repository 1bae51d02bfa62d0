using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Kms;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// The env-encryption key is handed out only when it is signed by the KMS's pinned k256 key. Between Teehouse and the
/// simulator sits a man in the middle (<see cref="MitmProxy"/>): the KMS at <c>[[kms]] local-kms</c> and the teepod's
/// vmm are both reached through it, so it can swap keys and signatures on either path.
/// </summary>
public sealed class KmsPinningTests : IAsyncLifetime
{
    private const string AppId = "1234567890abcdef1234567890abcdef12345678";
    private const string Path = $"/api/v1/kms/local-kms/pubkey/{AppId}";
    private static readonly TestK256Signer Attacker = new("attacker");

    private readonly string _fakeKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    private SimulatorHost _sim = null!;
    private MitmProxy _proxy = null!;
    private TestApp _app = null!;
    private HttpClient _user = null!;
    private HttpClient _admin = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 });
        _proxy = await MitmProxy.StartAsync(_sim.BaseUrl);
        _app = await StartAppAsync(null);
        _user = _app.Client(await _app.CreateTokenAsync("dana"), apiKeyHeader: true);
        _admin = await _app.AdminClientAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _user.Dispose();
        _admin.Dispose();
        await _app.DisposeAsync();
        await _proxy.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private Task<TestApp> StartAppAsync(string? pin, Action<TeehouseConfig>? more = null) => TestApp.StartAsync(c =>
    {
        c.Vmm.RequestTimeoutMs = 3000;
        c.Vmm.PingIntervalS = 3600;
        c.Kms.Add(new() { Id = "local-kms", Url = _proxy.KmsUrl, Version = "0.5.5", K256Pubkey = pin });
        more?.Invoke(c);
    });

    private void Swap(string path, bool resign = false, bool legacyOnly = false) =>
        _proxy.SwapEnvKey(path, _fakeKey, resign ? Attacker : null, legacyOnly);

    private async Task<JsonElement> PinsAsync()
    {
        var response = await _admin.GetAsync("/api/v1/kms/pins", Ct);
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return body;
    }

    private static async Task<List<(string Url, string K256, string LearnedAt)>> RowsAsync(TestApp app) =>
        [.. (await new KmsPinStore(app.Db).ListAsync()).Select(r => (r.Url, r.K256Pubkey, r.LearnedAt))];

    private async Task<string> AssertRefusedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(_fakeKey, text);
        return await Json.AssertDetailAsync(response, HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task The_kms_answer_verifies_by_signature_v1_and_the_kms_is_pinned_on_first_use()
    {
        var response = await _user.GetAsync(Path, Ct);
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["public_key", "signature"], body.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(Convert.ToHexStringLower(_sim.State.GetEnvEncryptPublicKey(AppId)), body.GetProperty("public_key").GetString());
        var answered = Assert.Single(_proxy.Original, o => o.Path == "/kms/prpc/GetAppEnvEncryptPubKey").Body;
        Assert.Matches("^[0-9a-f]{130}$", answered["signature_v1"]!.GetValue<string>()); // v1 was there to check

        var pins = await PinsAsync();
        var pin = Assert.Single(pins.GetProperty("items").EnumerateArray());
        Assert.Equal("local-kms", pin.GetProperty("kms_id").GetString());
        Assert.Equal(_sim.State.KmsK256PublicKey, pin.GetProperty("k256_pubkey").GetString());
        Assert.Equal("first_use", pin.GetProperty("source").GetString());
        Assert.Equal($"GetMeta of {_proxy.KmsUrl} (a key request for app {AppId})", pin.GetProperty("learned_from").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT", pin.GetProperty("learned_at").GetString()!);
        Assert.Equal(JsonValueKind.Null, pin.GetProperty("last_mismatch_k256_pubkey").ValueKind);

        // The pins are the operator's business.
        Assert.Equal(HttpStatusCode.Forbidden, (await _user.GetAsync("/api/v1/kms/pins", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_legacy_answer_without_timestamp_and_signature_v1_verifies_too()
    {
        _proxy.Rewrite = (path, _, body) =>
        {
            if (path != "/kms/prpc/GetAppEnvEncryptPubKey") return false;
            MitmProxy.StripV1(body);
            return true;
        };
        var body = await Json.ReadAsync(await _user.GetAsync(Path, Ct));
        Assert.Equal(Convert.ToHexStringLower(_sim.State.GetEnvEncryptPublicKey(AppId)), body.GetProperty("public_key").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_swapped_public_key_is_a_502_and_never_handed_out(bool legacyOnly)
    {
        Swap("/kms/prpc/GetAppEnvEncryptPubKey", legacyOnly: legacyOnly);
        var detail = await AssertRefusedAsync(await _user.GetAsync(Path, Ct));
        Assert.Equal("the env-encryption key from KMS 'local-kms' has a signature that does not verify against KMS 'local-kms''s pinned key", detail);
        var full = await AssertRefusedAsync(await _admin.GetAsync(Path, Ct));
        Assert.StartsWith($"KMS 'local-kms' ({_proxy.KmsUrl}): the env-encryption key's signature does not verify against the pinned k256 key of KMS 'local-kms' ({_sim.State.KmsK256PublicKey}, from first use): ", full);
    }

    [Fact]
    public async Task A_key_re_signed_by_another_k256_key_is_refused_and_shown_to_admins_as_a_mismatch()
    {
        Assert.Equal(HttpStatusCode.OK, (await _user.GetAsync(Path, Ct)).StatusCode); // pins the real key
        var before = await RowsAsync(_app);

        Swap("/kms/prpc/GetAppEnvEncryptPubKey", resign: true);
        var full = await AssertRefusedAsync(await _admin.GetAsync(Path, Ct));
        Assert.Contains($"signature_v1 is by {Attacker.PublicKeyHex}, not by the pinned key {_sim.State.KmsK256PublicKey}", full);
        Swap("/kms/prpc/GetAppEnvEncryptPubKey", resign: true, legacyOnly: true);
        Assert.Contains($"signature is by {Attacker.PublicKeyHex}", await AssertRefusedAsync(await _admin.GetAsync(Path, Ct)));

        Assert.Equal(before, await RowsAsync(_app)); // the pin stands
        var pin = Assert.Single((await PinsAsync()).GetProperty("items").EnumerateArray());
        Assert.Equal(_sim.State.KmsK256PublicKey, pin.GetProperty("k256_pubkey").GetString());
        Assert.Equal(Attacker.PublicKeyHex, pin.GetProperty("last_mismatch_k256_pubkey").GetString());
        Assert.Contains($"app {AppId} from KMS 'local-kms' ({_proxy.KmsUrl})", pin.GetProperty("last_mismatch_from").GetString());

        _proxy.Rewrite = null;
        Assert.Equal(HttpStatusCode.OK, (await _user.GetAsync(Path, Ct)).StatusCode);
    }

    /// <summary>Trust on first use: once pinned, a KMS that starts naming (and signing with) another key is refused.</summary>
    [Fact]
    public async Task The_first_use_pin_is_recorded_once_and_a_later_different_key_never_replaces_it()
    {
        var first = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _user.GetAsync(Path, Ct)));
        Assert.All(first, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var pinned = Assert.Single(await RowsAsync(_app));
        Assert.Equal((KmsPinStore.Key(_proxy.KmsUrl), _sim.State.KmsK256PublicKey), (pinned.Url, pinned.K256));

        // The impostor answers GetMeta with its own key too: it is not asked, and could not displace the pin.
        Swap("/kms/prpc/GetAppEnvEncryptPubKey", resign: true);
        var swapKey = _proxy.Rewrite!;
        _proxy.Rewrite = (path, request, body) =>
        {
            if (path != "/kms/prpc/GetMeta") return swapKey(path, request, body);
            body["k256_pubkey"] = Attacker.PublicKeyHex;
            return true;
        };
        await AssertRefusedAsync(await _user.GetAsync(Path, Ct));
        Assert.Equal([pinned], await RowsAsync(_app));

        // A restart reads the same pin.
        await using var restarted = await TestApp.StartAsync(c =>
        {
            c.Database.Path = _app.Config.Database.Path;
            c.Kms.Add(new() { Id = "local-kms", Url = _proxy.KmsUrl, Version = "0.5.5" });
        });
        using var user = restarted.Client(await restarted.CreateTokenAsync("erin"));
        await AssertRefusedAsync(await user.GetAsync(Path, Ct));
        Assert.Equal([pinned], await RowsAsync(restarted));
    }

    [Fact]
    public async Task A_configured_pin_that_is_not_the_kmss_key_is_a_502_and_nothing_is_learnt()
    {
        await using var app = await StartAppAsync(Attacker.PublicKeyHex);
        using var user = app.Client(await app.CreateTokenAsync("erin"));
        using var admin = await app.AdminClientAsync();
        var detail = await Json.AssertDetailAsync(await user.GetAsync(Path, Ct), HttpStatusCode.BadGateway);
        Assert.Contains("does not verify against KMS 'local-kms''s pinned key", detail);
        var full = await Json.AssertDetailAsync(await admin.GetAsync(Path, Ct), HttpStatusCode.BadGateway);
        Assert.Contains($"pinned k256 key of KMS 'local-kms' ({Attacker.PublicKeyHex}, from the configuration)", full);
        Assert.Contains($"by {_sim.State.KmsK256PublicKey}, not by the pinned key", full);
        Assert.Empty(await RowsAsync(app)); // the configuration wins: GetMeta is not even asked
        Assert.DoesNotContain(_proxy.Original, o => o.Path == "/kms/prpc/GetMeta");

        var pin = Assert.Single((await Json.ReadAsync(await admin.GetAsync("/api/v1/kms/pins", Ct))).GetProperty("items").EnumerateArray());
        Assert.Equal("config", pin.GetProperty("source").GetString());
        Assert.Equal(Attacker.PublicKeyHex, pin.GetProperty("k256_pubkey").GetString());

        // The right pin, spelt as an operator might copy it: the key is handed out.
        await using var right = await StartAppAsync("0x" + _sim.State.KmsK256PublicKey.ToUpperInvariant());
        using var rightUser = right.Client(await right.CreateTokenAsync("erin"));
        Assert.Equal(HttpStatusCode.OK, (await rightUser.GetAsync(Path, Ct)).StatusCode);
    }
}
