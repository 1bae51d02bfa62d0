using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Fleet;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Tests.Infrastructure.Dstack;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Teepods;

/// <summary>
/// Authentication towards dstack-vmm, over real HTTP: a released vmm behind a reverse proxy that checks HTTP Basic (the
/// documented 0.5.x setup, played by <see cref="BasicAuthProxy"/> in front of the simulator), and a vmm's own
/// <c>[auth]</c> token as Bearer. Every answer and the log file (at debug level) are searched for the secrets.
/// </summary>
public sealed class VmmAuthTests : IAsyncLifetime
{
    private const string Username = "teehouse-op";
    private const string Password = "pw-Zq7xK9-never-shown";
    private const string NewPassword = "pw-rotated-4Fh2-never-shown";
    private const string WrongPassword = "pw-wrong-8Tc1-never-shown";
    private const string Token = "tok-Rw3Lm5-never-shown";
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";

    private static readonly string[] Secrets =
    [
        Password, NewPassword, WrongPassword, Token,
        .. new[] { Password, NewPassword, WrongPassword }.Select(p => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{p}"))),
    ];

    private readonly List<string> _answers = [];
    private SimulatorHost _sim = null!;
    private BasicAuthProxy _proxy = null!;
    private TestApp _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _user = null!;
    private string _logs = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Port = 0, PrepopulateVms = 1, LogHeartbeatInterval = TimeSpan.FromMilliseconds(100),
        });
        _proxy = await BasicAuthProxy.StartAsync(_sim.BaseUrl, Username, Password);
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Vmm.RequestTimeoutMs = 3000;
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString().TrimEnd('/'), Version = "0.5.5" });
            c.Tiers["FREE"] = new() { MaxInstances = 5, MaxVcpu = 8, MaxMemory = 16384, MaxDisk = 200 };
            _logs = Path.Combine(Path.GetDirectoryName(c.Database.Path)!, "logs");
            c.Log.File = Path.Combine(_logs, "teehouse-.log");
            c.Log.Level = "debug";
        });
        _admin = await _app.AdminClientAsync();
        _user = _app.Client(await _app.CreateTokenAsync("dana"), apiKeyHeader: true);
        await new UserStore(_app.Db).SetCreditsAsync("dana", 50m);
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        _user.Dispose();
        await _app.DisposeAsync();
        await _proxy.DisposeAsync();
        await _sim.DisposeAsync();
    }

    [Fact]
    public async Task Basic_credentials_reach_a_vmm_behind_a_proxy_on_every_call_deploy_list_and_logs()
    {
        var teepod = await RegisterAsync($$"""{"auth_username": "{{Username}}", "auth_password": "{{Password}}"}""");
        Assert.Equal("online", teepod.GetProperty("status").GetString());
        Assert.Equal("basic", teepod.GetProperty("auth_scheme").GetString());
        var teepodId = teepod.GetProperty("id").GetInt64();

        var vm = await DeployAsync();
        var cvmId = vm.GetProperty("id").GetInt64();
        Assert.Equal("running", _sim.State.GetVm(vm.GetProperty("vm_uuid").GetString()!)!.Status);

        var page = await OkJsonAsync(await _user.GetAsync("/api/v1/cvms/paginated", Ct));
        Assert.Equal("behind-proxy", Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        var live = await OkJsonAsync(await _user.GetAsync($"/api/v1/cvms/{cvmId}", Ct));
        Assert.Contains("nginx:1.27", live.GetRawText()); // the app-compose as GetInfo read it through the proxy
        var hosted = await OkJsonAsync(await _admin.GetAsync($"/api/v1/teepods/{teepodId}/cvms", Ct));
        Assert.Equal(2, hosted.GetArrayLength());

        var tail = await OkTextAsync(await _user.GetAsync($"/api/v1/cvms/{cvmId}/logs?lines=5", Ct));
        Assert.NotEmpty(tail);
        using (var followed = await _user.SendAsync(
                   new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{cvmId}/logs?follow=true&lines=1"), HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
            await using var stream = await followed.Content.ReadAsStreamAsync(Ct);
            var buffer = new byte[256];
            Assert.True(await stream.ReadAsync(buffer, Ct) > 0); // streamed through, not buffered until the end
        }

        var pinger = (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;
        Assert.True(await pinger.PingAsync((await new Teehouse.Lite.Teepods.TeepodStore(_app.Db).FindAsync(teepodId))!, Ct));

        var seen = _proxy.Requests.ToList();
        Assert.All(seen, r => Assert.True(r.Authorized, $"{r.Method} {r.Path} went without the credentials"));
        foreach (var path in new[] { "/prpc/Version", "/prpc/Status", "/prpc/CreateVm", "/prpc/GetInfo", "/logs" })
            Assert.Contains(seen, r => r.Path == path);
        await AssertNoSecretsAnywhereAsync();
    }

    [Fact]
    public async Task Refused_credentials_are_a_502_that_says_which_to_fix_and_nothing_is_stored()
    {
        var wrong = await _admin.PostAsync("/api/v1/teepods",
            Body($$"""{"auth_username": "{{Username}}", "auth_password": "{{WrongPassword}}"}"""), Ct);
        var detail = await DetailAsync(wrong, HttpStatusCode.BadGateway);
        Assert.Equal($"teepod 'proxied' ({_proxy.BaseUrl}) refused our credentials (HTTP 401); check its auth_username and auth_password", detail);

        var none = await DetailAsync(await _admin.PostAsync("/api/v1/teepods", Body(""), Ct), HttpStatusCode.BadGateway);
        Assert.StartsWith($"teepod 'proxied' ({_proxy.BaseUrl}) refused our credentials (HTTP 401); register it with auth_token", none);
        var bearer = await DetailAsync(await _admin.PostAsync("/api/v1/teepods", Body($$"""{"auth_token": "{{Token}}"}"""), Ct), HttpStatusCode.BadGateway);
        Assert.EndsWith("refused our credentials (HTTP 401); check its auth_token", bearer);

        Assert.DoesNotContain(_proxy.Requests, r => r.Authorized);
        Assert.Equal(0, (await OkJsonAsync(await _admin.GetAsync("/api/v1/teepods", Ct))).GetArrayLength());
        await using (var c = await _app.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM teepods"));
        foreach (var answer in _answers)
        {
            Assert.DoesNotContain("realm", answer, StringComparison.OrdinalIgnoreCase); // nothing of the proxy's answer is echoed
            Assert.DoesNotContain("nginx", answer);
        }
        await AssertNoSecretsAnywhereAsync();
    }

    [Fact]
    public async Task Rotated_credentials_take_effect_on_the_next_request_and_an_empty_string_removes_them()
    {
        var id = (await RegisterAsync($$"""{"auth_username": "{{Username}}", "auth_password": "{{Password}}"}""")).GetProperty("id").GetInt64();
        var pinger = (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;
        var store = new Teehouse.Lite.Teepods.TeepodStore(_app.Db);

        _proxy.SetCredentials(Username, NewPassword); // the operator rotated the proxy's password first
        var refused = await DetailAsync(await _admin.GetAsync($"/api/v1/teepods/{id}/cvms", Ct), HttpStatusCode.BadGateway);
        Assert.Contains("rejected our credentials (HTTP 401); check the teepod's user name and password", refused);
        Assert.False(await pinger.PingAsync((await store.FindAsync(id))!, Ct));
        var userView = Assert.Single((await OkJsonAsync(await _user.GetAsync("/api/v1/teepods", Ct))).EnumerateArray());
        Assert.Equal("offline", userView.GetProperty("status").GetString());
        Assert.StartsWith("teepod 'proxied' refused our credentials (HTTP 401); check its", userView.GetProperty("last_error").GetString());
        Assert.Equal(JsonValueKind.Null, userView.GetProperty("auth_scheme").ValueKind);

        var updated = await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}",
            Body($$"""{"auth_username": "{{Username}}", "auth_password": "{{NewPassword}}"}""", withEndpoint: false), Ct));
        Assert.Equal("basic", updated.GetProperty("auth_scheme").GetString());
        Assert.Equal(1, (await OkJsonAsync(await _admin.GetAsync($"/api/v1/teepods/{id}/cvms", Ct))).GetArrayLength()); // no ping in between
        Assert.True(await pinger.PingAsync((await store.FindAsync(id))!, Ct));

        var renamed = await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"name": "proxied-2"}"""), Ct));
        Assert.Equal("basic", renamed.GetProperty("auth_scheme").GetString()); // fields left out leave the credentials alone

        var removed = await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"auth_username": "", "auth_password": ""}"""), Ct));
        Assert.Equal(JsonValueKind.Null, removed.GetProperty("auth_scheme").ValueKind);
        await DetailAsync(await _admin.GetAsync($"/api/v1/teepods/{id}/cvms", Ct), HttpStatusCode.BadGateway);

        var bearer = await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body($$"""{"auth_token": "{{Token}}"}"""), Ct));
        Assert.Equal("bearer", bearer.GetProperty("auth_scheme").GetString());
        await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}",
            Json.Body($$"""{"auth_username": "{{Username}}", "auth_password": "{{NewPassword}}"}"""), Ct));
        var stored = (await store.FindAsync(id))!;
        Assert.Null(stored.AuthToken); // one scheme at a time: the pair replaced the token
        Assert.Equal(NewPassword, stored.AuthPassword);
        await AssertNoSecretsAnywhereAsync();
    }

    [Fact]
    public async Task Credentials_are_validated_as_a_422_that_never_quotes_them()
    {
        async Task<string[]> Fields(Task<HttpResponseMessage> call)
        {
            var response = await call;
            _answers.Add(await response.Content.ReadAsStringAsync(Ct));
            return (await Json.AssertValidationAsync(response)).EnumerateArray().Select(e => e.GetProperty("loc")[1].GetString()!).ToArray();
        }

        Assert.Equal(["auth_password"], await Fields(_admin.PostAsync("/api/v1/teepods", Body($$"""{"auth_username": "{{Username}}"}"""), Ct)));
        Assert.Equal(["auth_username"], await Fields(_admin.PostAsync("/api/v1/teepods", Body($$"""{"auth_password": "{{Password}}"}"""), Ct)));
        Assert.Equal(["auth_token"], await Fields(_admin.PostAsync("/api/v1/teepods",
            Body($$"""{"auth_token": "{{Token}}", "auth_username": "{{Username}}", "auth_password": "{{Password}}"}"""), Ct)));
        Assert.Equal(["auth_username"], await Fields(_admin.PostAsync("/api/v1/teepods",
            Body($$"""{"auth_username": "a:b", "auth_password": "{{Password}}"}"""), Ct)));
        Assert.Equal(["auth_password"], await Fields(_admin.PostAsync("/api/v1/teepods",
            Body($$"""{"auth_username": "{{Username}}", "auth_password": ""}"""), Ct)));

        var inUrl = await _admin.PostAsync("/api/v1/teepods", Json.Body($$"""
            {"name": "proxied", "endpoint": "http://{{Username}}:{{Password}}@127.0.0.1:1"}
            """), Ct);
        var body = await inUrl.Content.ReadAsStringAsync(Ct);
        _answers.Add(body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, inUrl.StatusCode);
        Assert.Contains("give the user name and password as auth_username and auth_password, not in the URL", body);

        var id = (await RegisterAsync($$"""{"auth_username": "{{Username}}", "auth_password": "{{Password}}"}""")).GetProperty("id").GetInt64();
        Assert.Equal(["auth_password"], await Fields(_admin.PutAsync($"/api/v1/teepods/{id}",
            Json.Body($$"""{"auth_username": "", "auth_password": "{{NewPassword}}"}"""), Ct)));
        Assert.Equal(["auth_token"], await Fields(_admin.PutAsync($"/api/v1/teepods/{id}",
            Json.Body($$"""{"auth_token": "{{Token}}", "auth_username": "{{Username}}", "auth_password": "{{NewPassword}}"}"""), Ct)));
        Assert.Equal(Password, (await new Teehouse.Lite.Teepods.TeepodStore(_app.Db).FindAsync(id))!.AuthPassword);
        await AssertNoSecretsAnywhereAsync();
    }

    /// <summary>
    /// Holds on both generations of the simulated vmm: one that guards the whole API (dstack next) and one that, like
    /// every released vmm, guards only GET /logs. Either way /logs needs the token, and Teehouse sends it as Bearer.
    /// </summary>
    [Fact]
    public async Task A_vmm_token_goes_as_bearer_and_opens_its_logs()
    {
        await using var locked = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 1, AuthEnabled = true, Tokens = [Token] });
        var endpoint = locked.BaseUrl.ToString().TrimEnd('/');
        var registered = await OkJsonAsync(await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "locked", "endpoint": "{{endpoint}}", "auth_token": "{{Token}}"}"""), Ct));
        Assert.Equal("bearer", registered.GetProperty("auth_scheme").GetString());
        var id = registered.GetProperty("id").GetInt64();
        var vm = Assert.Single(locked.State.ListVms());
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.PostAsync($"/api/v1/teepods/{id}/cvms/{vm.AppId}/list", null, Ct)).StatusCode);

        Assert.NotEmpty(await OkTextAsync(await _admin.GetAsync($"/api/v1/cvms/{vm.Id}/logs?lines=3", Ct)));

        await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"auth_token": ""}"""), Ct));
        var refused = await DetailAsync(await _admin.GetAsync($"/api/v1/cvms/{vm.Id}/logs?lines=3", Ct), HttpStatusCode.BadGateway);
        Assert.Contains("our credentials (HTTP 401)", refused);

        await OkJsonAsync(await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body($$"""{"auth_token": "{{Token}}"}"""), Ct));
        Assert.NotEmpty(await OkTextAsync(await _admin.GetAsync($"/api/v1/cvms/{vm.Id}/logs?lines=3", Ct)));
        await AssertNoSecretsAnywhereAsync();
    }

    private StringContent Body(string credentials, bool withEndpoint = true)
    {
        var fields = credentials.Length == 0 ? "" : credentials.Trim().TrimStart('{').TrimEnd('}');
        var head = withEndpoint ? $"\"name\": \"proxied\", \"endpoint\": \"{_proxy.BaseUrl}\"" : "";
        var separator = head.Length > 0 && fields.Length > 0 ? ", " : "";
        return Json.Body("{" + head + separator + fields + "}");
    }

    private async Task<JsonElement> RegisterAsync(string credentials) =>
        await OkJsonAsync(await _admin.PostAsync("/api/v1/teepods", Body(credentials), Ct));

    private async Task<JsonElement> DeployAsync()
    {
        var provision = await OkJsonAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "behind-proxy", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "behind-proxy", "kms_enabled": true}
            }
            """), Ct));
        var pubkey = Convert.FromHexString(provision.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var env = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, """{"env":[]}"""));
        return await OkJsonAsync(await _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}",
             "encrypted_env": "{{env}}"}
            """), Ct));
    }

    private async Task<string> OkTextAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        _answers.Add(text);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return text;
    }

    private async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await OkTextAsync(response));
        return doc.RootElement.Clone();
    }

    private async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        _answers.Add(await response.Content.ReadAsStringAsync(Ct));
        return await Json.AssertDetailAsync(response, status);
    }

    /// <summary>No answer this test read, no teepod view (admin or user) and no line of the log file has a secret.</summary>
    private async Task AssertNoSecretsAnywhereAsync()
    {
        foreach (var path in new[] { "/api/v1/teepods", "/api/v1/teepods/available", "/api/v1/cvms/paginated" })
        {
            _answers.Add(await (await _admin.GetAsync(path, Ct)).Content.ReadAsStringAsync(Ct));
            _answers.Add(await (await _user.GetAsync(path, Ct)).Content.ReadAsStringAsync(Ct));
        }
        foreach (var teepod in (await new Teehouse.Lite.Teepods.TeepodStore(_app.Db).ListAsync(includeDisabled: true)))
            _answers.Add(await (await _admin.GetAsync($"/api/v1/teepods/{teepod.Id}", Ct)).Content.ReadAsStringAsync(Ct));

        var log = "";
        for (var i = 0; i < 100 && !log.Contains("/api/v1/teepods/available responded", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50, Ct);
            log = string.Concat(Directory.GetFiles(_logs).Select(f =>
            {
                using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new StreamReader(stream).ReadToEnd();
            }));
        }
        Assert.Contains("/api/v1/teepods/available responded", log);
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, log);
            Assert.All(_answers, answer => Assert.DoesNotContain(secret, answer));
        }
    }
}
