using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Deploy;

/// <summary>The SDK's two-step create (provision, then commit) against the simulator over real HTTP.</summary>
public sealed class DeployTests : IAsyncLifetime
{
    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _user = null!;
    private long _teepodId;

    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"80:80\"\n";

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 3 });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Kms.Add(new() { Id = "local-kms", Url = _sim.KmsUrl.ToString().TrimEnd('/'), Version = "0.5.5" });
            c.Tiers["FREE"] = new() { MaxInstances = 1, MaxVcpu = 4, MaxMemory = 8192, MaxDisk = 100 };
            c.Tiers["PRO"] = new() { MaxInstances = 10, MaxVcpu = 16 };
        });
        using var admin = await _app.AdminClientAsync();
        var registered = await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), TestContext.Current.CancellationToken);
        _teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
        var token = await _app.CreateTokenAsync("dana");
        await new UserStore(_app.Db).SetCreditsAsync("dana", 50m);
        _user = _app.Client(token, apiKeyHeader: true);
    }

    public async ValueTask DisposeAsync()
    {
        _user.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private static string ProvisionBody(string name = "my-app", string extra = "") => $$"""
        {"name": "{{name}}", "instance_type": "tdx.small",
         "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "{{name}}", "kms_enabled": true,
                          "tproxy_enabled": true, "public_logs": true, "allowed_envs": ["SECRET"]}{{extra}}}
        """;

    private async Task<JsonElement> ProvisionAsync(string name = "my-app", string extra = "")
    {
        var response = await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody(name, extra)), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    private Task<HttpResponseMessage> CommitAsync(JsonElement provision, string env = "{\"env\":[{\"key\":\"SECRET\",\"value\":\"s3cr3t\"}]}")
    {
        var pubkey = Convert.FromHexString(provision.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var encrypted = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, env));
        return _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}",
             "encrypted_env": "{{encrypted}}"}
            """), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Provision_fixes_the_compose_and_hands_out_the_kms_key_for_the_app()
    {
        var p = await ProvisionAsync();
        var hash = p.GetProperty("compose_hash").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash[..40], p.GetProperty("app_id").GetString());
        Assert.Equal(_teepodId, p.GetProperty("node_id").GetInt64());
        Assert.Equal(_teepodId, p.GetProperty("teepod_id").GetInt64());
        Assert.Equal("tdx.small", p.GetProperty("instance_type").GetString());
        Assert.Equal("dstack-0.5.5", p.GetProperty("image").GetString());
        Assert.Equal("local-kms", p.GetProperty("kms_info").GetProperty("id").GetString());
        Assert.Equal("local-kms", p.GetProperty("kms_id").GetString());

        using var factory = new Teehouse.Lite.Infrastructure.Dstack.DstackClientFactory(TimeSpan.FromSeconds(5));
        var expected = await factory.Kms(_sim.KmsUrl.ToString()).GetAppEnvEncryptPubKeyAsync(hash[..40], TestContext.Current.CancellationToken);
        Assert.Equal(expected.PublicKey, p.GetProperty("app_env_encrypt_pubkey").GetString());

        // The same request again is a new app: a fresh salt goes into each new app-compose, so identical composes
        // (of one user or of two) never share an app id, the identity the KMS derives keys from.
        var again = await ProvisionAsync();
        Assert.NotEqual(hash, again.GetProperty("compose_hash").GetString());
        Assert.NotEqual(p.GetProperty("app_id").GetString(), again.GetProperty("app_id").GetString());
    }

    [Fact]
    public async Task Commit_creates_the_vm_from_exactly_the_provisioned_bytes_with_the_env_passed_through()
    {
        var p = await ProvisionAsync();
        var response = await CommitAsync(p);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var vm = await Json.ReadAsync(response);
        foreach (var key in new[] { "id", "name", "status", "teepod_id", "teepod", "user_id", "app_id", "vm_uuid", "instance_id",
                                     "base_image", "vcpu", "memory", "disk_size", "docker_compose_file", "created_at", "encrypted_env_pubkey" })
            Assert.True(vm.TryGetProperty(key, out _), $"missing {key}");
        Assert.Equal(JsonValueKind.Number, vm.GetProperty("id").ValueKind);
        Assert.Equal("my-app", vm.GetProperty("name").GetString());
        Assert.Equal(_teepodId, vm.GetProperty("teepod_id").GetInt64());
        Assert.Equal(1, vm.GetProperty("vcpu").GetInt64());
        Assert.Equal(2048, vm.GetProperty("memory").GetInt64());
        Assert.Equal(Compose, vm.GetProperty("docker_compose_file").GetString());

        var simVm = _sim.State.GetVm(vm.GetProperty("vm_uuid").GetString()!)!;
        Assert.Equal("running", simVm.Status);
        Assert.Equal(p.GetProperty("app_id").GetString(), simVm.AppId);
        Assert.Equal(p.GetProperty("compose_hash").GetString(), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(simVm.ComposeFile))));
        using var compose = JsonDocument.Parse(simVm.ComposeFile);
        Assert.True(compose.RootElement.GetProperty("gateway_enabled").GetBoolean()); // tproxy_enabled folded in
        Assert.False(compose.RootElement.TryGetProperty("tproxy_enabled", out _));
        Assert.Equal("docker-compose", compose.RootElement.GetProperty("runner").GetString());
        Assert.True(_sim.State.TryDecryptEnv(simVm.AppId, simVm.EncryptedEnv, out var plaintext));
        Assert.Equal("{\"env\":[{\"key\":\"SECRET\",\"value\":\"s3cr3t\"}]}", plaintext);

        await using var c = await _app.Db.OpenAsync();
        Assert.Equal("dana", await c.ExecuteScalarAsync<string?>(
            "SELECT u.username FROM cvms c JOIN users u ON u.id = c.user_id WHERE c.id = @id", new { id = vm.GetProperty("id").GetInt64() }));
    }

    [Fact]
    public async Task A_repeated_commit_returns_the_same_cvm_and_creates_no_second_vm()
    {
        var p = await ProvisionAsync();
        var first = await Json.ReadAsync(await CommitAsync(p));
        var count = _sim.State.VmCount;
        var second = await CommitAsync(p);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(first.GetProperty("id").GetInt64(), (await Json.ReadAsync(second)).GetProperty("id").GetInt64());
        Assert.Equal(count, _sim.State.VmCount);
        // The same compose provisioned again is a new app: a fresh salt, so a new app id (and new KMS keys).
        await new UserStore(_app.Db).SetTierAsync("dana", "PRO");
        var again = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody()), TestContext.Current.CancellationToken));
        Assert.NotEqual(p.GetProperty("app_id").GetString(), again.GetProperty("app_id").GetString());
    }

    [Fact]
    public async Task A_deploy_that_does_not_say_gets_the_teepods_kms_and_gateway_as_the_cli_expects()
    {
        // Exactly the phala CLI's provision body: it never sends kms_enabled or gateway_enabled.
        var cliBody = $$"""
            {"name": "cli-app", "compose_file": {"allowed_envs": ["SECRET"], "docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}",
             "name": "", "public_logs": true, "public_sysinfo": true}, "listed": false, "kms": "PHALA", "instance_type": "tdx.small"}
            """;
        var response = await _user.PostAsync("/api/v1/cvms/provision", Json.Body(cliBody), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var p = await Json.ReadAsync(response);
        Assert.Matches("^[0-9a-f]{64}$", p.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var vm = await Json.ReadAsync(await CommitAsync(p));
        var simVm = _sim.State.GetVm(vm.GetProperty("vm_uuid").GetString()!)!;
        using var compose = JsonDocument.Parse(simVm.ComposeFile);
        Assert.True(compose.RootElement.GetProperty("kms_enabled").GetBoolean());
        Assert.True(compose.RootElement.GetProperty("gateway_enabled").GetBoolean());
        Assert.True(_sim.State.TryDecryptEnv(simVm.AppId, simVm.EncryptedEnv, out _));

        // Said explicitly, it is kept: no KMS, no env key.
        await new UserStore(_app.Db).SetTierAsync("dana", "PRO");
        var explicitOff = await _user.PostAsync("/api/v1/cvms/provision",
            Json.Body(cliBody.Replace("\"name\": \"\",", "\"name\": \"\", \"kms_enabled\": false, \"gateway_enabled\": false,")), TestContext.Current.CancellationToken);
        Assert.True(explicitOff.StatusCode == HttpStatusCode.OK, await explicitOff.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var plain = await Json.ReadAsync(explicitOff);
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("app_env_encrypt_pubkey").ValueKind);
    }

    [Fact]
    public async Task Unknown_and_expired_provisions_cannot_be_committed()
    {
        var unknown = await _user.PostAsync("/api/v1/cvms", Json.Body($$"""{"app_id": "{{new string('a', 40)}}", "compose_hash": "{{new string('b', 64)}}"}"""), TestContext.Current.CancellationToken);
        Assert.Contains("provision first", await Json.AssertDetailAsync(unknown, HttpStatusCode.NotFound));

        var p = await ProvisionAsync();
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE pending_operations SET expires_at = '2000-01-01T00:00:00.000Z'");
        Assert.Contains("expired", await Json.AssertDetailAsync(await CommitAsync(p), HttpStatusCode.Conflict));
        Assert.Equal(3, _sim.State.VmCount);

        // Another user cannot commit dana's provision.
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        var stolen = await eve.PostAsync("/api/v1/cvms", Json.Body($$"""{"app_id": "{{p.GetProperty("app_id").GetString()}}", "compose_hash": "{{p.GetProperty("compose_hash").GetString()}}"}"""), TestContext.Current.CancellationToken);
        await Json.AssertDetailAsync(stolen, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Tier_limits_and_credits_are_enforced_with_a_clear_403()
    {
        await CommitAsync(await ProvisionAsync("first-app"));
        var second = await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody("second-app")), TestContext.Current.CancellationToken);
        Assert.Contains("FREE tier allows 1 of CVMs", await Json.AssertDetailAsync(second, HttpStatusCode.Forbidden));

        using var broke = _app.Client(await _app.CreateTokenAsync("fred"));
        var refused = await broke.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody("fred-app")), TestContext.Current.CancellationToken);
        Assert.Contains("credit balance is 0", await Json.AssertDetailAsync(refused, HttpStatusCode.Forbidden));

        await new UserStore(_app.Db).SetCreditsAsync("fred", 1m);
        var tooBig = await broke.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody("fred-app").Replace("\"instance_type\": \"tdx.small\"", "\"vcpu\": 8")), TestContext.Current.CancellationToken);
        Assert.Contains("vCPUs", await Json.AssertDetailAsync(tooBig, HttpStatusCode.Forbidden));
    }

    [Theory]
    [InlineData("""{"compose_file": {"docker_compose_file": "x"}}""", "name")]
    [InlineData("""{"name": "1bad", "compose_file": {"docker_compose_file": "x"}}""", "name")]
    [InlineData("""{"name": "good-name"}""", "compose_file")]
    [InlineData("""{"name": "good-name", "compose_file": {}}""", "compose_file.docker_compose_file")]
    [InlineData("""{"name": "good-name", "instance_type": "tdx.huge", "compose_file": {"docker_compose_file": "x"}}""", "instance_type")]
    [InlineData("""{"name": "good-name", "app_id": "0x12", "compose_file": {"docker_compose_file": "x"}}""", "app_id")]
    [InlineData("""{"name": "good-name", "compose_file": {"docker_compose_file": "x", "kms_enabled": "yes"}}""", "compose_file.kms_enabled")]
    [InlineData("""{"name": "good-name", "compose_file": {"docker_compose_file": "x", "allowed_envs": ["1BAD"]}}""", "compose_file.allowed_envs")]
    public async Task Bad_provision_requests_are_422_naming_the_field(string body, string field)
    {
        var detail = await Json.AssertValidationAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body(body), TestContext.Current.CancellationToken));
        Assert.Contains(detail.EnumerateArray(), e => e.GetProperty("loc")[1].GetString() == field);
    }

    [Fact]
    public async Task An_offline_or_unknown_teepod_is_refused()
    {
        await Json.AssertDetailAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody(extra: ", \"node_id\": 999")), TestContext.Current.CancellationToken), HttpStatusCode.NotFound);
        await _sim.GoDownAsync();
        await ((Teehouse.Lite.Fleet.TeepodPinger)_app.App.Services.GetService(typeof(Teehouse.Lite.Fleet.TeepodPinger))!).PingAllAsync(TestContext.Current.CancellationToken);
        var offline = await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody(extra: $", \"node_id\": {_teepodId}")), TestContext.Current.CancellationToken);
        Assert.Contains("offline", await Json.AssertDetailAsync(offline, HttpStatusCode.Conflict));
        var automatic = await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody()), TestContext.Current.CancellationToken);
        Assert.Contains("No online teepod", await Json.AssertDetailAsync(automatic, HttpStatusCode.Conflict));
        await _sim.ComeBackAsync();
    }

    [Fact]
    public async Task A_vmm_failure_during_commit_is_502_and_a_retry_creates_exactly_one_vm()
    {
        var p = await ProvisionAsync();
        await _sim.GoDownAsync();
        await Json.AssertDetailAsync(await CommitAsync(p), HttpStatusCode.BadGateway);
        await _sim.ComeBackAsync();
        Assert.Equal(HttpStatusCode.OK, (await CommitAsync(p)).StatusCode);
        Assert.Single(_sim.State.ListVms(), v => v.AppId == p.GetProperty("app_id").GetString());
    }

    /// <summary>Plays a commit that died after the vmm created the VM: the database never heard of it.</summary>
    private async Task<string> CrashAfterCreateVmAsync(JsonElement provision)
    {
        string composeText;
        await using (var c = await _app.Db.OpenAsync())
        {
            composeText = (await c.ExecuteScalarAsync<string?>("SELECT payload ->> 'compose_file' FROM pending_operations WHERE kind = 'deploy'"))!;
            // Claimed by a process that is gone: what a kill -9 between CreateVm and the database write leaves.
            await c.ExecuteAsync("""
                UPDATE pending_operations SET state = 'committing', claim_owner = '1-dead', claimed_at = '2026-01-01T00:00:00.000Z'
                WHERE kind = 'deploy'
                """);
        }
        return _sim.State.AddVm(new Teehouse.Lite.Simulator.Vms.VmSpec
        {
            Name = "my-app", ComposeFile = composeText, AppId = provision.GetProperty("app_id").GetString(), Vcpu = 1, Memory = 2048,
        });
    }

    [Fact]
    public async Task A_commit_that_died_after_create_vm_adopts_the_vm_on_retry()
    {
        var p = await ProvisionAsync();
        var orphan = await CrashAfterCreateVmAsync(p);

        var vm = await Json.ReadAsync(await CommitAsync(p));
        Assert.Equal(orphan, vm.GetProperty("vm_uuid").GetString());
        Assert.Single(_sim.State.ListVms(), v => v.AppId == p.GetProperty("app_id").GetString());
    }

    [Fact]
    public async Task The_next_ping_records_the_cvm_of_a_commit_that_died_after_create_vm()
    {
        var p = await ProvisionAsync();
        var orphan = await CrashAfterCreateVmAsync(p);

        await ((Teehouse.Lite.Fleet.TeepodPinger)_app.App.Services.GetService(typeof(Teehouse.Lite.Fleet.TeepodPinger))!)
            .PingAllAsync(TestContext.Current.CancellationToken);

        await using var check = await _app.Db.OpenAsync();
        Assert.Equal("dana", await check.ExecuteScalarAsync<string?>(
            "SELECT u.username FROM cvms c JOIN users u ON u.id = c.user_id WHERE c.vm_uuid = @orphan", new { orphan }));
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM pending_operations WHERE kind = 'deploy' AND state = 'done' AND result_cvm_id IS NOT NULL"));
        // The client's own retry now answers with that CVM instead of creating another VM.
        var vm = await Json.ReadAsync(await CommitAsync(p));
        Assert.Equal(orphan, vm.GetProperty("vm_uuid").GetString());
        Assert.Single(_sim.State.ListVms(), v => v.AppId == p.GetProperty("app_id").GetString());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_vmm_failure_during_provision_is_502_or_504_and_stores_nothing()
    {
        _sim.SetFault(FaultMode.Error500); // the pinger's last look still says online; the key request then fails
        var response = await _user.PostAsync("/api/v1/cvms/provision", Json.Body(ProvisionBody()), TestContext.Current.CancellationToken);
        await Json.AssertDetailAsync(response, HttpStatusCode.BadGateway);
        _sim.SetFault(FaultMode.None);
        await using var c = await _app.Db.OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM pending_operations"));
    }
}
