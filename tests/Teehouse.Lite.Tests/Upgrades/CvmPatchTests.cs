using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Upgrades;

/// <summary>PATCH /cvms/{id} (patchCvm / confirmCvmPatch) and POST /cvms/{id}/commit-update against the simulator.</summary>
public sealed class CvmPatchTests : SimulatedTeepodTest
{
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";
    private const string NewCompose = "services:\n  web:\n    image: nginx:1.29\n";

    private sealed record Deployed(string VmUuid, string AppId, string ComposeHash);

    private async Task<Deployed> DeployAsync(string name = "patch-app")
    {
        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "{{name}}", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "{{name}}", "kms_enabled": true,
                              "gateway_enabled": true, "allowed_envs": ["SECRET"]} }
            """), Ct));
        var appId = provision.GetProperty("app_id").GetString()!;
        var hash = provision.GetProperty("compose_hash").GetString()!;
        var committed = await _user.PostAsync("/api/v1/cvms", Json.Body($$"""{"app_id": "{{appId}}", "compose_hash": "{{hash}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        return new Deployed((await Json.ReadAsync(committed)).GetProperty("vm_uuid").GetString()!, appId, hash);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private Task<HttpResponseMessage> PatchAsync(string vmUuid, string json, HttpClient? client = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/cvms/{vmUuid}") { Content = Json.Body(json) };
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        return (client ?? _user).SendAsync(request, Ct);
    }

    private static string ComposeBody(string compose) => $$"""{"docker_compose_file": "{{JsonEncodedText.Encode(compose)}}"}""";

    private async Task WaitRunningAsync(string vmUuid)
    {
        for (var i = 0; i < 100; i++)
        {
            await using var c = await _app.Db.OpenAsync();
            var inProgress = await c.ExecuteScalarAsync<long>("SELECT in_progress FROM cvms WHERE vm_uuid = @vmUuid", new { vmUuid });
            if (_sim.State.GetVm(vmUuid)!.Status == "running" && inProgress == 0) return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("the CVM did not come back up after the patch");
    }

    private static Dictionary<string, JsonElement> Details(JsonElement body) =>
        body.GetProperty("detail").GetProperty("details").EnumerateArray()
            .ToDictionary(d => d.GetProperty("field").GetString()!, d => d.GetProperty("value").Clone());

    [Fact]
    public async Task A_compose_patch_is_applied_at_once_keeping_the_app_id()
    {
        var cvm = await DeployAsync();
        var response = await PatchAsync(cvm.VmUuid, ComposeBody(NewCompose));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal("in_progress", body.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("correlation_id").GetString()));
        var hash = body.GetProperty("compose_hash").GetString()!;
        Assert.NotEqual(cvm.ComposeHash, hash);

        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(hash, Sha256(vm.ComposeFile));
        Assert.Equal(cvm.AppId, vm.AppId);
        using (var compose = JsonDocument.Parse(vm.ComposeFile))
        {
            Assert.Equal(NewCompose, compose.RootElement.GetProperty("docker_compose_file").GetString());
            Assert.Equal("SECRET", compose.RootElement.GetProperty("allowed_envs")[0].GetString()); // kept
        }
        await WaitRunningAsync(cvm.VmUuid);
        var info = await Json.ReadAsync(await _user.GetAsync($"/api/v1/cvms/{cvm.VmUuid}", Ct));
        Assert.Equal(hash, info.GetProperty("compose_hash").GetString());
    }

    [Fact]
    public async Task Prepare_only_answers_465_and_the_commit_token_applies_the_update_exactly_once()
    {
        var cvm = await DeployAsync();
        var prepared = await PatchAsync(cvm.VmUuid, """{"public_logs": false, "user_config": "{\"a\":1}"}""", null, ("X-Prepare-Only", "true"));
        Assert.Equal(465, (int)prepared.StatusCode);
        var d = Details(await Json.ReadAsync(prepared));
        var hash = d["compose_hash"].GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(cvm.AppId, d["app_id"].GetString());
        Assert.Equal(JsonValueKind.String, d["device_id"].ValueKind);
        Assert.Equal("local-kms", d["kms_info"].GetProperty("id").GetString());
        var token = d["commit_token"].GetString()!;
        Assert.StartsWith("thct_", token);
        Assert.EndsWith($"/api/v1/cvms/{cvm.VmUuid}/commit-update", d["commit_url"].GetString());
        Assert.True(d["onchain_status"].GetProperty("is_allowed").GetBoolean());
        Assert.Equal(cvm.ComposeHash, Sha256(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile)); // nothing written yet

        var commitBody = $$"""{"token": "{{token}}", "compose_hash": "{{hash}}", "transaction_hash": "0xabc"}""";
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound,
            (await eve.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/commit-update", Json.Body(commitBody), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _user.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/commit-update",
            Json.Body($$"""{"token": "thct_nope", "compose_hash": "{{hash}}", "transaction_hash": "0xabc"}"""), Ct)).StatusCode);

        var commit = await _user.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/commit-update", Json.Body(commitBody), Ct);
        Assert.Equal(HttpStatusCode.Accepted, commit.StatusCode);
        var c = await Json.ReadAsync(commit);
        Assert.Equal("in_progress", c.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(c.GetProperty("correlation_id").GetString()));
        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(hash, Sha256(vm.ComposeFile));
        Assert.Equal("{\"a\":1}", vm.UserConfig);
        Assert.Equal(cvm.AppId, vm.AppId);

        Assert.Equal(HttpStatusCode.Conflict,
            (await _user.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/commit-update", Json.Body(commitBody), Ct)).StatusCode);
        await WaitRunningAsync(cvm.VmUuid);
    }

    [Fact]
    public async Task The_confirm_headers_apply_the_pending_update_of_that_hash()
    {
        var cvm = await DeployAsync();
        var prepared = await PatchAsync(cvm.VmUuid, ComposeBody(NewCompose), null, ("X-Prepare-Only", "true"));
        var hash = Details(await Json.ReadAsync(prepared))["compose_hash"].GetString()!;

        var unknown = await PatchAsync(cvm.VmUuid, "{}", null, ("X-Compose-Hash", new string('a', 64)), ("X-Transaction-Hash", "0x1"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var confirmed = await PatchAsync(cvm.VmUuid, "{}", null, ("X-Compose-Hash", "0x" + hash), ("X-Transaction-Hash", "0x1"));
        Assert.Equal(HttpStatusCode.Accepted, confirmed.StatusCode);
        Assert.False(string.IsNullOrEmpty((await Json.ReadAsync(confirmed)).GetProperty("correlation_id").GetString()));
        Assert.Equal(hash, Sha256(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile));
        await WaitRunningAsync(cvm.VmUuid);

        var again = await PatchAsync(cvm.VmUuid, "{}", null, ("X-Compose-Hash", hash), ("X-Transaction-Hash", "0x1"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Resources_of_a_stopped_cvm_change_and_it_stays_stopped()
    {
        var cvm = await DeployAsync();
        Assert.Equal(HttpStatusCode.OK, (await _user.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/stop", null, Ct)).StatusCode);
        var response = await PatchAsync(cvm.VmUuid, """{"vcpu": 4, "memory": 4096}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(4u, vm.Vcpu);
        Assert.Equal(4096u, vm.Memory);
        Assert.Equal("stopped", vm.Status);
        Assert.Equal(cvm.ComposeHash, Sha256(vm.ComposeFile));
    }

    [Fact]
    public async Task Resources_of_a_running_cvm_need_allow_force_stop()
    {
        var cvm = await DeployAsync();
        var refused = await PatchAsync(cvm.VmUuid, """{"vcpu": 3}""");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("allow_force_stop", (await Json.ReadAsync(refused)).GetProperty("detail").GetString());
        Assert.NotEqual(3u, _sim.State.GetVm(cvm.VmUuid)!.Vcpu);

        var forced = await PatchAsync(cvm.VmUuid, """{"vcpu": 3, "allow_force_stop": true, "shutdown_timeout": 30}""");
        Assert.Equal(HttpStatusCode.Accepted, forced.StatusCode);
        Assert.True((await Json.ReadAsync(forced)).GetProperty("restarting").GetBoolean());
        Assert.Equal(3u, _sim.State.GetVm(cvm.VmUuid)!.Vcpu);
        await WaitRunningAsync(cvm.VmUuid);
    }

    [Fact]
    public async Task Invalid_and_empty_patches_are_422_and_other_users_cvms_404()
    {
        var cvm = await DeployAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PatchAsync(cvm.VmUuid, "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PatchAsync(cvm.VmUuid, """{"vcpu": 0}""")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PatchAsync(cvm.VmUuid, """{"gpus": {"count": 1}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PatchAsync(cvm.VmUuid, """{"encrypted_env": "xyz"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await PatchAsync(cvm.VmUuid, """{"vcpu": 2}""", null, ("X-Prepare-Only", "true"))).StatusCode);

        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(cvm.VmUuid, ComposeBody(NewCompose), eve)).StatusCode);
        Assert.Equal(cvm.ComposeHash, Sha256(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile));
    }
}
