using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Upgrades;

/// <summary>Compose and env upgrades of a deployed CVM (provision → commit, and PATCH envs) against the simulator.</summary>
public sealed class CvmUpgradesTests : SimulatedTeepodTest
{
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";
    private const string NewCompose = "services:\n  web:\n    image: nginx:1.28\n    environment:\n      - OTHER\n";

    private sealed record Deployed(string VmUuid, string AppId, string ComposeHash, byte[] Pubkey);

    private async Task<Deployed> DeployAsync(string name = "up-app")
    {
        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "{{name}}", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "{{name}}", "kms_enabled": true,
                              "gateway_enabled": true, "allowed_envs": ["SECRET"]} }
            """), Ct));
        var pubkey = Convert.FromHexString(provision.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var appId = provision.GetProperty("app_id").GetString()!;
        var hash = provision.GetProperty("compose_hash").GetString()!;
        var committed = await _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{appId}}", "compose_hash": "{{hash}}", "encrypted_env": "{{Encrypt(pubkey, "SECRET", "one")}}"}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        return new Deployed((await Json.ReadAsync(committed)).GetProperty("vm_uuid").GetString()!, appId, hash, pubkey);
    }

    private static string Encrypt(byte[] pubkey, params string[] pairs)
    {
        var env = string.Join(",", pairs.Chunk(2).Select(p => $$"""{"key":"{{p[0]}}","value":"{{p[1]}}"}"""));
        return Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, $$"""{"env":[{{env}}]}"""));
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static HttpRequestMessage Patch(string path, string json) => new(HttpMethod.Patch, path) { Content = Json.Body(json) };

    private Task<HttpResponseMessage> ProvisionUpdateAsync(string vmUuid, string json, HttpClient? client = null) =>
        (client ?? _user).PostAsync($"/api/v1/cvms/{vmUuid}/compose_file/provision", Json.Body(json), Ct);

    private async Task WaitRunningAsync(string vmUuid)
    {
        for (var i = 0; i < 100; i++)
        {
            await using var c = await _app.Db.OpenAsync();
            var inProgress = await c.ExecuteScalarAsync<long>("SELECT in_progress FROM cvms WHERE vm_uuid = @vmUuid", new { vmUuid });
            if (_sim.State.GetVm(vmUuid)!.Status == "running" && inProgress == 0) return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("the CVM did not come back up after the upgrade");
    }

    [Fact]
    public async Task A_compose_update_writes_exactly_the_provisioned_bytes_keeps_the_app_id_and_restarts_the_cvm()
    {
        var cvm = await DeployAsync();
        var response = await ProvisionUpdateAsync(cvm.VmUuid, $$"""
            {"docker_compose_file": "{{JsonEncodedText.Encode(NewCompose)}}", "allowed_envs": ["SECRET", "OTHER"], "update_env_vars": true}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var p = await Json.ReadAsync(response);
        var hash = p.GetProperty("compose_hash").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.NotEqual(cvm.ComposeHash, hash);
        Assert.Equal(cvm.AppId, p.GetProperty("app_id").GetString());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("device_id").ValueKind);
        Assert.True(p.GetProperty("compose_hash_registered").GetBoolean());
        Assert.Equal("local-kms", p.GetProperty("kms_info").GetProperty("id").GetString());
        Assert.Equal(cvm.ComposeHash, Sha256(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile)); // nothing written yet

        var commit = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file",
            $$"""{"compose_hash": "{{hash}}", "encrypted_env": "{{Encrypt(cvm.Pubkey, "SECRET", "two", "OTHER", "x")}}", "env_keys": ["SECRET", "OTHER"]}"""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, commit.StatusCode);
        Assert.Equal("in_progress", (await Json.ReadAsync(commit)).GetProperty("status").GetString());

        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(hash, Sha256(vm.ComposeFile));
        Assert.Equal(cvm.AppId, vm.AppId);
        using (var compose = JsonDocument.Parse(vm.ComposeFile))
        {
            Assert.Equal(NewCompose, compose.RootElement.GetProperty("docker_compose_file").GetString());
            Assert.True(compose.RootElement.GetProperty("gateway_enabled").GetBoolean()); // kept from the current compose
            Assert.True(compose.RootElement.GetProperty("kms_enabled").GetBoolean());
            Assert.False(compose.RootElement.TryGetProperty("update_env_vars", out _));
        }
        Assert.True(_sim.State.TryDecryptEnv(vm.AppId, vm.EncryptedEnv, out var plaintext));
        Assert.Contains("\"two\"", plaintext);

        await WaitRunningAsync(cvm.VmUuid);
        var info = await Json.ReadAsync(await _user.GetAsync($"/api/v1/cvms/{cvm.VmUuid}", Ct));
        Assert.Equal(hash, info.GetProperty("compose_hash").GetString());
        Assert.Equal(cvm.AppId, info.GetProperty("app_id").GetString());
    }

    [Fact]
    public async Task A_commit_without_env_keeps_the_env_and_a_stopped_cvm_stays_stopped()
    {
        var cvm = await DeployAsync();
        Assert.Equal(HttpStatusCode.OK, (await _user.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/stop", null, Ct)).StatusCode);
        var envBefore = _sim.State.GetVm(cvm.VmUuid)!.EncryptedEnv;
        var hash = (await Json.ReadAsync(await ProvisionUpdateAsync(cvm.VmUuid, """{"public_logs": true}"""))).GetProperty("compose_hash").GetString()!;
        var commit = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file", $$"""{"compose_hash": "{{hash}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, commit.StatusCode);
        Assert.False((await Json.ReadAsync(commit)).GetProperty("restarting").GetBoolean());
        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(hash, Sha256(vm.ComposeFile));
        Assert.Equal(envBefore, vm.EncryptedEnv);
        Assert.Equal("stopped", vm.Status);
    }

    [Fact]
    public async Task Unknown_expired_and_malformed_commits_are_refused()
    {
        var cvm = await DeployAsync();
        var unknown = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file", $$"""{"compose_hash": "{{new string('b', 64)}}"}"""), Ct);
        Assert.Contains("provision", await Json.AssertDetailAsync(unknown, HttpStatusCode.NotFound));

        var hash = (await Json.ReadAsync(await ProvisionUpdateAsync(cvm.VmUuid, """{"public_logs": true}"""))).GetProperty("compose_hash").GetString()!;
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE pending_operations SET expires_at = '2000-01-01T00:00:00.000Z'");
        var expired = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file", $$"""{"compose_hash": "{{hash}}"}"""), Ct);
        Assert.Contains("expired", await Json.AssertDetailAsync(expired, HttpStatusCode.Conflict));
        Assert.Equal(cvm.ComposeHash, Sha256(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile));

        await Json.AssertValidationAsync(await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file", "{}"), Ct));
        await Json.AssertValidationAsync(await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file",
            $$"""{"compose_hash": "{{hash}}", "encrypted_env": "xyz"}"""), Ct));
        await Json.AssertValidationAsync(await ProvisionUpdateAsync(cvm.VmUuid, """{"kms_enabled": "yes"}"""));
        await Json.AssertValidationAsync(await ProvisionUpdateAsync(cvm.VmUuid, """["not", "an", "object"]"""));
        await Json.AssertValidationAsync(await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs", """{"env_keys": ["A"]}"""), Ct));
    }

    [Fact]
    public async Task Another_users_cvm_is_a_404_on_every_route()
    {
        var cvm = await DeployAsync();
        var hash = (await Json.ReadAsync(await ProvisionUpdateAsync(cvm.VmUuid, """{"public_logs": true}"""))).GetProperty("compose_hash").GetString()!;
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        await Json.AssertDetailAsync(await ProvisionUpdateAsync(cvm.VmUuid, """{"public_logs": true}""", eve), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await eve.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/compose_file", $$"""{"compose_hash": "{{hash}}"}"""), Ct), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await eve.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs",
            $$"""{"encrypted_env": "{{Encrypt(cvm.Pubkey, "SECRET", "evil")}}"}"""), Ct), HttpStatusCode.NotFound);
        Assert.Equal(cvm.ComposeHash, Sha256(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile));
    }

    [Fact]
    public async Task An_env_update_with_the_same_keys_replaces_the_env_and_keeps_the_compose()
    {
        var cvm = await DeployAsync();
        var response = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs",
            $$"""{"encrypted_env": "{{Encrypt(cvm.Pubkey, "SECRET", "rotated")}}", "env_keys": ["SECRET"]}"""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal("in_progress", body.GetProperty("status").GetString());
        Assert.False(body.GetProperty("allowed_envs_changed").GetBoolean());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("correlation_id").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("message").GetString()));

        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(cvm.ComposeHash, Sha256(vm.ComposeFile));
        Assert.True(_sim.State.TryDecryptEnv(vm.AppId, vm.EncryptedEnv, out var plaintext));
        Assert.Equal("""{"env":[{"key":"SECRET","value":"rotated"}]}""", plaintext);
        await WaitRunningAsync(cvm.VmUuid);
    }

    [Fact]
    public async Task New_env_keys_change_allowed_envs_at_once_with_the_off_chain_kms()
    {
        var cvm = await DeployAsync();
        var response = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs",
            $$"""{"encrypted_env": "{{Encrypt(cvm.Pubkey, "SECRET", "a", "NEW", "b")}}", "env_keys": ["SECRET", "NEW"]}"""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True((await Json.ReadAsync(response)).GetProperty("allowed_envs_changed").GetBoolean());
        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        using var compose = JsonDocument.Parse(vm.ComposeFile);
        Assert.Equal(["SECRET", "NEW"], compose.RootElement.GetProperty("allowed_envs").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(cvm.AppId, vm.AppId);
        Assert.True(_sim.State.TryDecryptEnv(vm.AppId, vm.EncryptedEnv, out var plaintext));
        Assert.Contains("NEW", plaintext);
        await WaitRunningAsync(cvm.VmUuid);
    }

    [Fact]
    public async Task New_env_keys_with_an_on_chain_kms_need_the_new_compose_hash_first_465()
    {
        var cvm = await DeployAsync();
        _app.Config.Kms[0].ChainId = 8453;
        _app.Config.Kms[0].KmsContractAddress = "0x" + new string('c', 40);
        var envBefore = _sim.State.GetVm(cvm.VmUuid)!.EncryptedEnv;
        var env = Encrypt(cvm.Pubkey, "SECRET", "a", "NEW", "b");

        var first = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs", $$"""{"encrypted_env": "{{env}}", "env_keys": ["SECRET", "NEW"]}"""), Ct);
        Assert.Equal(465, (int)first.StatusCode);
        var detail = (await Json.ReadAsync(first)).GetProperty("detail");
        Assert.False(string.IsNullOrEmpty(detail.GetProperty("message").GetString()));
        var fields = detail.GetProperty("details").EnumerateArray().ToDictionary(d => d.GetProperty("field").GetString()!, d => d.GetProperty("value"));
        Assert.Equal(["compose_hash", "app_id", "device_id", "kms_info"], fields.Keys);
        var hash = fields["compose_hash"].GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(cvm.AppId, fields["app_id"].GetString());
        Assert.Equal(JsonValueKind.Null, fields["device_id"].ValueKind);
        Assert.Equal(8453, fields["kms_info"].GetProperty("chain_id").GetInt64());
        Assert.Equal("local-kms", fields["kms_info"].GetProperty("id").GetString());
        Assert.Equal(envBefore, _sim.State.GetVm(cvm.VmUuid)!.EncryptedEnv); // nothing applied

        var wrong = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs",
            $$"""{"encrypted_env": "{{env}}", "env_keys": ["SECRET", "NEW"], "compose_hash": "{{new string('a', 64)}}"}"""), Ct);
        await Json.AssertDetailAsync(wrong, HttpStatusCode.Conflict);

        var second = await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs",
            $$"""{"encrypted_env": "{{env}}", "env_keys": ["SECRET", "NEW"], "compose_hash": "{{hash}}", "transaction_hash": "already-registered"}"""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.True((await Json.ReadAsync(second)).GetProperty("allowed_envs_changed").GetBoolean());
        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(hash, Sha256(vm.ComposeFile));
        Assert.Equal(cvm.AppId, vm.AppId);
        Assert.True(_sim.State.TryDecryptEnv(vm.AppId, vm.EncryptedEnv, out _));
        await WaitRunningAsync(cvm.VmUuid);
    }

    [Fact]
    public async Task A_vmm_that_does_not_answer_is_502()
    {
        var cvm = await DeployAsync();
        await _sim.GoDownAsync();
        await Json.AssertDetailAsync(await ProvisionUpdateAsync(cvm.VmUuid, """{"public_logs": true}"""), HttpStatusCode.BadGateway);
        await Json.AssertDetailAsync(await _user.SendAsync(Patch($"/api/v1/cvms/{cvm.VmUuid}/envs",
            $$"""{"encrypted_env": "{{Encrypt(cvm.Pubkey, "SECRET", "x")}}"}"""), Ct), HttpStatusCode.BadGateway);
        await _sim.ComeBackAsync();
    }
}
