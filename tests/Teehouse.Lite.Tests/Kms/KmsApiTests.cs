using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Math;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>GET /kms, /kms/{kms} and /kms/{kms}/pubkey/{app_id} against the real app and the simulator's KMS.</summary>
public sealed class KmsApiTests : IAsyncLifetime
{
    private const string AppId = "1234567890abcdef1234567890abcdef12345678";
    private static readonly string[] EnvelopeKeys = ["items", "page", "page_size", "pages", "total"];
    private static readonly string[] KmsKeys = ["chain_id", "gateway_app_id", "id", "kms_contract_address", "slug", "url", "version"];

    private readonly string _deadKmsUrl = $"http://127.0.0.1:{ClosedPort()}/kms-3";
    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _user = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 });
        _app = await StartAppAsync(c =>
        {
            c.Kms.Add(new() { Id = "local-kms", Slug = "local", Url = _sim.KmsUrl.ToString(), Version = "0.5.5" });
            c.Kms.Add(new()
            {
                Id = "kms-base-prod", Slug = "base-prod", Url = "https://kms.base.example:8000", Version = "0.5.3", ChainId = 8453,
                KmsContractAddress = "0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C", GatewayAppId = "0x1a2b3c",
            });
            c.Kms.Add(new() { Id = "kms-2", Url = "https://kms-2.example", Version = "0.5.5", Slug = "" });
            c.Kms.Add(new() { Id = "kms-eth", Url = "https://kms.eth.example", Version = "0.5.4", ChainId = 1 });
            c.Kms.Add(new() { Id = "kms-3", Url = _deadKmsUrl, Version = "0.5.5" });
        });
        _user = await _app.UserClientAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _user.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private static Task<TestApp> StartAppAsync(Action<TeehouseConfig> kms) => TestApp.StartAsync(c =>
    {
        c.Vmm.RequestTimeoutMs = 1500;
        c.Vmm.PingIntervalS = 3600; // nothing changes a teepod's status behind the test's back
        kms(c);
    });

    private async Task<JsonElement> ListAsync(string query = "")
    {
        var response = await _user.GetAsync("/api/v1/kms" + query, Ct);
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return body;
    }

    private static List<string> Keys(JsonElement o) => o.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();

    private static List<string?> Ids(JsonElement list) => list.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();

    [Fact]
    public async Task The_list_envelope_has_exactly_the_strict_keys_and_every_item_every_kms_key()
    {
        var list = await ListAsync();
        Assert.Equal(EnvelopeKeys, Keys(list));
        Assert.Equal(5, list.GetProperty("total").GetInt32());
        Assert.Equal(1, list.GetProperty("page").GetInt32());
        Assert.Equal(50, list.GetProperty("page_size").GetInt32());
        Assert.Equal(1, list.GetProperty("pages").GetInt32());
        Assert.Equal(["local-kms", "kms-base-prod", "kms-2", "kms-eth", "kms-3"], Ids(list));
        foreach (var item in list.GetProperty("items").EnumerateArray()) Assert.Equal(KmsKeys, Keys(item));

        var local = list.GetProperty("items")[0];
        Assert.Equal("local", local.GetProperty("slug").GetString());
        Assert.Equal(_sim.KmsUrl.ToString(), local.GetProperty("url").GetString());
        Assert.Equal("0.5.5", local.GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Null, local.GetProperty("chain_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, local.GetProperty("kms_contract_address").ValueKind);
        Assert.Equal(JsonValueKind.Null, local.GetProperty("gateway_app_id").ValueKind);

        var onChain = list.GetProperty("items")[1];
        Assert.Equal(8453, onChain.GetProperty("chain_id").GetInt64());
        Assert.Equal("0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C", onChain.GetProperty("kms_contract_address").GetString());
        Assert.Equal("0x1a2b3c", onChain.GetProperty("gateway_app_id").GetString());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("items")[2].GetProperty("slug").ValueKind); // slug = "" is null
    }

    [Fact]
    public async Task Paging_slices_the_list_and_pages_is_the_ceiling()
    {
        var first = await ListAsync("?page=1&page_size=2");
        Assert.Equal(["local-kms", "kms-base-prod"], Ids(first));
        Assert.Equal(5, first.GetProperty("total").GetInt32());
        Assert.Equal(2, first.GetProperty("page_size").GetInt32());
        Assert.Equal(3, first.GetProperty("pages").GetInt32());

        var last = await ListAsync("?page=3&page_size=2");
        Assert.Equal(["kms-3"], Ids(last));
        Assert.Equal(3, last.GetProperty("page").GetInt32());

        var beyond = await ListAsync("?page=4&page_size=2");
        Assert.Empty(Ids(beyond));
        Assert.Equal(4, beyond.GetProperty("page").GetInt32());
        Assert.Equal(5, beyond.GetProperty("total").GetInt32());
        Assert.Equal(3, beyond.GetProperty("pages").GetInt32());

        Assert.Empty(Ids(await ListAsync("?page=9223372036854775807&page_size=100")));
        var exact = await ListAsync("?page_size=5");
        Assert.Equal(1, exact.GetProperty("pages").GetInt32());
        Assert.Equal(5, Ids(exact).Count);
        var all = await ListAsync("?page_size=100"); // what `phala kms list` asks for
        Assert.Equal(5, Ids(all).Count);
        Assert.Equal(1, (await ListAsync("?page_size=1&page=5")).GetProperty("items").GetArrayLength());
        Assert.Equal(5, (await ListAsync("?page_size=1")).GetProperty("pages").GetInt32());
    }

    [Fact]
    public async Task Is_onchain_keeps_the_kms_with_or_without_a_chain_id()
    {
        var onChain = await ListAsync("?is_onchain=true&page_size=100");
        Assert.Equal(["kms-base-prod", "kms-eth"], Ids(onChain));
        Assert.Equal(2, onChain.GetProperty("total").GetInt32());
        Assert.Equal(1, onChain.GetProperty("pages").GetInt32());

        var offChain = await ListAsync("?is_onchain=false");
        Assert.Equal(["local-kms", "kms-2", "kms-3"], Ids(offChain));
        Assert.Equal(3, offChain.GetProperty("total").GetInt32());

        Assert.Equal(["kms-base-prod", "kms-eth"], Ids(await ListAsync("?is_onchain=1")));
        Assert.Equal(["local-kms", "kms-2", "kms-3"], Ids(await ListAsync("?is_onchain=False")));
        Assert.Equal(["kms-eth"], Ids(await ListAsync("?is_onchain=true&page=2&page_size=1")));
    }

    [Fact]
    public async Task Bad_paging_values_are_a_422_naming_each_query_field()
    {
        var detail = await Json.AssertValidationAsync(await _user.GetAsync("/api/v1/kms?page=0&page_size=101&is_onchain=maybe", Ct));
        Assert.Equal(
            [("page", "greater_than_equal"), ("page_size", "less_than_equal"), ("is_onchain", "bool_parsing")],
            detail.EnumerateArray().Select(e => (e.GetProperty("loc")[1].GetString(), e.GetProperty("type").GetString())).ToList());
        Assert.All(detail.EnumerateArray(), e => Assert.Equal("query", e.GetProperty("loc")[0].GetString()));

        var notNumbers = await Json.AssertValidationAsync(await _user.GetAsync("/api/v1/kms?page=abc&page_size=", Ct));
        Assert.Equal(["int_parsing", "int_parsing"], notNumbers.EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList());
        await Json.AssertValidationAsync(await _user.GetAsync("/api/v1/kms?page_size=0", Ct));
        await Json.AssertValidationAsync(await _user.GetAsync("/api/v1/kms?page=-1", Ct));
        await Json.AssertValidationAsync(await _user.GetAsync("/api/v1/kms?page=1.5", Ct));
    }

    [Fact]
    public async Task Without_any_kms_configured_the_list_is_empty_with_zero_pages()
    {
        await using var app = await StartAppAsync(_ => { });
        using var user = await app.UserClientAsync();
        var body = await Json.ReadAsync(await user.GetAsync("/api/v1/kms", Ct));
        Assert.Equal(EnvelopeKeys, Keys(body));
        Assert.Equal(0, body.GetProperty("items").GetArrayLength());
        Assert.Equal(0, body.GetProperty("total").GetInt32());
        Assert.Equal(1, body.GetProperty("page").GetInt32());
        Assert.Equal(0, body.GetProperty("pages").GetInt32());
        Assert.Equal("KMS 'local-kms' not found", await Json.AssertDetailAsync(await user.GetAsync("/api/v1/kms/local-kms", Ct), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task One_kms_by_id_or_slug_and_404_otherwise()
    {
        var byId = await Json.ReadAsync(await _user.GetAsync("/api/v1/kms/kms-base-prod", Ct));
        Assert.Equal(KmsKeys, Keys(byId));
        Assert.Equal("kms-base-prod", byId.GetProperty("id").GetString());
        Assert.Equal(8453, byId.GetProperty("chain_id").GetInt64());

        var bySlug = await Json.ReadAsync(await _user.GetAsync("/api/v1/kms/base-prod", Ct));
        Assert.Equal("kms-base-prod", bySlug.GetProperty("id").GetString());
        Assert.Equal("local-kms", (await Json.ReadAsync(await _user.GetAsync("/api/v1/kms/local", Ct))).GetProperty("id").GetString());

        Assert.Equal("KMS 'nope' not found", await Json.AssertDetailAsync(await _user.GetAsync("/api/v1/kms/nope", Ct), HttpStatusCode.NotFound));
        Assert.Equal("KMS 'LOCAL-KMS' not found", await Json.AssertDetailAsync(await _user.GetAsync("/api/v1/kms/LOCAL-KMS", Ct), HttpStatusCode.NotFound));
        await Json.AssertDetailAsync(await _user.GetAsync($"/api/v1/kms/nope/pubkey/{AppId}", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Every_route_needs_a_token_and_any_user_will_do()
    {
        using var anonymous = _app.Client();
        foreach (var path in new[] { "/api/v1/kms", "/api/v1/kms/local-kms", $"/api/v1/kms/local-kms/pubkey/{AppId}" })
        {
            await Json.AssertDetailAsync(await anonymous.GetAsync(path, Ct), HttpStatusCode.Unauthorized);
            using var wrong = _app.Client("thl_not-a-token", apiKeyHeader: true);
            await Json.AssertDetailAsync(await wrong.GetAsync(path, Ct), HttpStatusCode.Unauthorized);
        }

        using var admin = await _app.AdminClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/kms", Ct)).StatusCode);
        using var viaApiKey = _app.Client(await _app.CreateTokenAsync("bob"), apiKeyHeader: true);
        Assert.Equal(HttpStatusCode.OK, (await viaApiKey.GetAsync($"/api/v1/kms/local/pubkey/{AppId}", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_pubkey_is_the_kms_answer_with_exactly_two_keys_and_a_signature_by_the_kms_root_key()
    {
        var response = await _user.GetAsync($"/api/v1/kms/local-kms/pubkey/{AppId}", Ct);
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["public_key", "signature"], Keys(body));
        var publicKey = body.GetProperty("public_key").GetString()!;
        var signature = body.GetProperty("signature").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", publicKey);
        Assert.Matches("^[0-9a-f]{130}$", signature);

        // What the KMS itself says, asked directly.
        using var clients = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var direct = await clients.Kms(_sim.KmsUrl.ToString()).GetAppEnvEncryptPubKeyAsync(AppId, Ct);
        Assert.Equal(direct.PublicKey, publicKey);
        Assert.Equal(direct.Signature, signature);
        Assert.Equal(Convert.ToHexStringLower(_sim.State.GetEnvEncryptPublicKey(AppId)), publicKey);
        Assert.Equal(_sim.State.KmsK256PublicKey, RecoverSigner(AppId, publicKey, signature));

        // By slug, with 0x and upper-case hex: the same key.
        var other = await Json.ReadAsync(await _user.GetAsync($"/api/v1/kms/local/pubkey/0x{AppId.ToUpperInvariant()}", Ct));
        Assert.Equal(publicKey, other.GetProperty("public_key").GetString());
        // Another app, another key.
        var second = await Json.ReadAsync(await _user.GetAsync($"/api/v1/kms/local/pubkey/{new string('a', 40)}", Ct));
        Assert.NotEqual(publicKey, second.GetProperty("public_key").GetString());
    }

    [Theory]
    [InlineData("xyz")]
    [InlineData("1234567890abcdef1234567890abcdef1234567")]
    [InlineData("1234567890abcdef1234567890abcdef123456789")]
    [InlineData("0x1234567890abcdef1234567890abcdef1234567g")]
    [InlineData("0X")]
    public async Task A_malformed_app_id_is_a_422_on_the_path(string appId)
    {
        var detail = await Json.AssertValidationAsync(await _user.GetAsync($"/api/v1/kms/local-kms/pubkey/{appId}", Ct));
        Assert.Equal(["path", "app_id"], detail[0].GetProperty("loc").EnumerateArray().Select(e => e.GetString()).ToList());
        // Checked before the KMS is looked up, as FastAPI validates parameters first.
        await Json.AssertValidationAsync(await _user.GetAsync($"/api/v1/kms/nope/pubkey/{appId}", Ct));
    }

    [Fact]
    public async Task An_unreachable_kms_without_a_teepod_to_relay_is_502_naming_the_kms()
    {
        using var admin = await _app.AdminClientAsync();
        await _sim.GoDownAsync();
        // A user learns which KMS failed, never where it lives; the operator gets the address and the socket error.
        var detail = await Json.AssertDetailAsync(await _user.GetAsync($"/api/v1/kms/local-kms/pubkey/{AppId}", Ct), HttpStatusCode.BadGateway);
        Assert.Equal("KMS 'local-kms' is unreachable", detail);
        var adminDetail = await Json.AssertDetailAsync(await admin.GetAsync($"/api/v1/kms/local-kms/pubkey/{AppId}", Ct), HttpStatusCode.BadGateway);
        Assert.StartsWith($"KMS 'local-kms' ({_sim.KmsUrl}) is unreachable: ", adminDetail);
        await _sim.ComeBackAsync();
        Assert.Equal(HttpStatusCode.OK, (await _user.GetAsync($"/api/v1/kms/local-kms/pubkey/{AppId}", Ct)).StatusCode);

        // A KMS nobody can reach, and the only teepod uses another KMS: nothing to relay through.
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "sim", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var dead = await Json.AssertDetailAsync(await _user.GetAsync($"/api/v1/kms/kms-3/pubkey/{AppId}", Ct), HttpStatusCode.BadGateway);
        Assert.Equal("KMS 'kms-3' is unreachable", dead);
        var deadForAdmin = await Json.AssertDetailAsync(await admin.GetAsync($"/api/v1/kms/kms-3/pubkey/{AppId}", Ct), HttpStatusCode.BadGateway);
        Assert.StartsWith($"KMS 'kms-3' ({_deadKmsUrl}) is unreachable: ", deadForAdmin);
        Assert.DoesNotContain("relaying", deadForAdmin);
    }

    /// <summary>
    /// The real-world case: the KMS is reachable only from the host (the vmm announces it at an address Teehouse cannot
    /// reach). A second simulator, with its own KMS keys, plays that teepod: its vmm answers for its KMS. Its GetMeta
    /// cannot be read, so its k256 key is pinned in the config (without, see KmsPinningTests).
    /// </summary>
    [Fact]
    public async Task A_kms_reachable_only_from_its_teepod_is_asked_through_that_teepods_vmm()
    {
        var hostOnlyKms = $"http://127.0.0.1:{ClosedPort()}/kms";
        await using var host = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, Seed = 7, KmsUrls = [hostOnlyKms] });
        // The [[kms]] entry spells the url differently (case, trailing slash): still the same KMS.
        await using var app = await StartAppAsync(c =>
            c.Kms.Add(new() { Id = "host-kms", Url = hostOnlyKms.ToUpperInvariant() + "/", Version = "0.5.5", K256Pubkey = host.State.KmsK256PublicKey }));
        using var admin = await app.AdminClientAsync();
        using var user = await app.UserClientAsync();
        var path = $"/api/v1/kms/host-kms/pubkey/{AppId}";

        // No teepod uses it yet: the KMS's own 502.
        Assert.Contains("unreachable", await Json.AssertDetailAsync(await user.GetAsync(path, Ct), HttpStatusCode.BadGateway));

        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "host-1", "endpoint": "{{host.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        var teepod = await Json.ReadAsync(registered);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        Assert.Equal(hostOnlyKms, teepod.GetProperty("kms_url").GetString()); // as the vmm announced it
        var id = teepod.GetProperty("id").GetInt64();

        var response = await user.GetAsync(path, Ct);
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["public_key", "signature"], Keys(body));
        var publicKey = body.GetProperty("public_key").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(host.State.GetEnvEncryptPublicKey(AppId)), publicKey);
        Assert.Equal(host.State.KmsK256PublicKey, RecoverSigner(AppId, publicKey, body.GetProperty("signature").GetString()!));
        Assert.NotEqual(_sim.State.KmsK256PublicKey, host.State.KmsK256PublicKey); // it really came from the relay

        // A disabled teepod relays nothing.
        await admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"enabled": false}"""), Ct);
        var disabled = await Json.AssertDetailAsync(await user.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.StartsWith("KMS ", disabled);
        Assert.DoesNotContain("relaying", disabled);
        await admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"enabled": true}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync(path, Ct)).StatusCode);

        // The teepod itself down (still marked online): the KMS's 502, saying the relay failed too.
        await host.GoDownAsync();
        var detail = await Json.AssertDetailAsync(await user.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.Equal("KMS 'host-kms' is unreachable; relaying failed: teepod 'host-1' is unreachable", detail);
        var adminDetail = await Json.AssertDetailAsync(await admin.GetAsync(path, Ct), HttpStatusCode.BadGateway);
        Assert.StartsWith($"KMS 'host-kms' ({hostOnlyKms.ToUpperInvariant()}/) is unreachable: ", adminDetail);
        Assert.Contains($"relaying through teepod {id} (host-1): teepod 'host-1' ({host.BaseUrl.ToString().TrimEnd('/')}) is unreachable: ", adminDetail);
    }

    /// <summary>A loopback port nothing listens on (taken and released again).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// The compressed secp256k1 key that made <paramref name="signatureHex"/> (r||s||v) over dstack's legacy message
    /// <c>keccak256("dstack-env-encrypt-pubkey" || ":" || app_id || public_key)</c>: what a deploying client checks
    /// against its KMS whitelist.
    /// </summary>
    private static string RecoverSigner(string appIdHex, string publicKeyHex, string signatureHex)
    {
        var keccak = new KeccakDigest(256);
        var message = "dstack-env-encrypt-pubkey:"u8.ToArray().Concat(Convert.FromHexString(appIdHex)).Concat(Convert.FromHexString(publicKeyHex)).ToArray();
        keccak.BlockUpdate(message, 0, message.Length);
        var digest = new byte[32];
        keccak.DoFinal(digest, 0);

        var signature = Convert.FromHexString(signatureHex);
        Assert.Equal(65, signature.Length);
        var curve = SecNamedCurves.GetByName("secp256k1");
        var r = new BigInteger(1, signature[..32]);
        var s = new BigInteger(1, signature[32..64]);
        var point = curve.Curve.DecodePoint([(byte)(0x02 | (signature[64] & 1)), .. signature[..32]]);
        var e = new BigInteger(1, digest);
        var rInverse = r.ModInverse(curve.N);
        var q = point.Multiply(s).Subtract(curve.G.Multiply(e)).Multiply(rInverse).Normalize();
        return Convert.ToHexStringLower(q.GetEncoded(true));
    }
}
