using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Apps;

/// <summary>/api/v1/apps: apps as the caller's CVMs grouped by app id, and new instances of an app (direct and two-phase).</summary>
public sealed class AppsTests : SimulatedTeepodTest
{
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";
    private const string Env = "{\"env\":[{\"key\":\"SECRET\",\"value\":\"s3cr3t\"}]}";

    protected override void Configure(global::Teehouse.Lite.Infrastructure.Config.TeehouseConfig config) => config.Tiers["FREE"] = new() { MaxInstances = 1 };

    /// <summary>Deploys an app through provision + commit; returns the commit's VMSchema.</summary>
    private async Task<JsonElement> DeployAsync(HttpClient client, string name = "my-app")
    {
        var provision = await client.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "{{name}}", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "kms_enabled": true, "allowed_envs": ["SECRET"]} }
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, provision.StatusCode);
        var p = await Json.ReadAsync(provision);
        var pubkey = Convert.FromHexString(p.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var encrypted = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, Env));
        var commit = await client.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{p.GetProperty("app_id").GetString()}}", "compose_hash": "{{p.GetProperty("compose_hash").GetString()}}",
             "encrypted_env": "{{encrypted}}"}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, commit.StatusCode);
        return await Json.ReadAsync(commit);
    }

    private Task<HttpResponseMessage> InstanceAsync(string appId, string body = "{}", bool prepareOnly = false, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/apps/{appId}/instances") { Content = Json.Body(body) };
        if (prepareOnly) request.Headers.Add("X-Prepare-Only", "true");
        return (client ?? _user).SendAsync(request, Ct);
    }

    private string SimCompose(JsonElement vm) => _sim.State.GetVm(vm.GetProperty("vm_uuid").GetString()!)!.ComposeFile;

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task List_get_and_cvms_show_the_callers_apps_only()
    {
        var vm = await DeployAsync(_user);
        var appId = vm.GetProperty("app_id").GetString()!;

        var list = await Json.ReadAsync(await _user.GetAsync("/api/v1/apps?page=1&page_size=10&kms_type=phala", Ct));
        Assert.Equal(1, list.GetProperty("total").GetInt64());
        Assert.Equal(1, list.GetProperty("page").GetInt32());
        Assert.Equal(10, list.GetProperty("page_size").GetInt32());
        Assert.Equal(1, list.GetProperty("total_pages").GetInt64());
        var app = list.GetProperty("dstack_apps")[0];
        Assert.Equal(appId, app.GetProperty("id").GetString());
        Assert.Equal(appId, app.GetProperty("app_id").GetString());
        Assert.Equal("my-app", app.GetProperty("name").GetString());
        Assert.Equal("phala", app.GetProperty("kms_type").GetString());
        Assert.Equal(1, app.GetProperty("cvm_count").GetInt32());
        Assert.Equal(JsonValueKind.Null, app.GetProperty("profile").ValueKind);
        Assert.Equal(JsonValueKind.Null, app.GetProperty("app_icon_url").ValueKind);
        Assert.Equal(JsonValueKind.String, app.GetProperty("created_at").ValueKind);
        Assert.Equal(JsonValueKind.String, app.GetProperty("current_cvm").GetProperty("id").ValueKind);
        Assert.Equal(vm.GetProperty("vm_uuid").GetString(), app.GetProperty("cvms")[0].GetProperty("vm_uuid").GetString());

        var byId = await Json.ReadAsync(await _user.GetAsync($"/api/v1/apps/0x{appId.ToUpperInvariant()}", Ct));
        Assert.Equal(appId, byId.GetProperty("app_id").GetString());
        var cvms = await Json.ReadAsync(await _user.GetAsync($"/api/v1/apps/{appId}/cvms", Ct));
        Assert.Equal(JsonValueKind.Array, cvms.ValueKind);
        Assert.Equal(1, cvms.GetArrayLength());
        Assert.Equal(appId, cvms[0].GetProperty("app_id").GetString());

        Assert.Equal(0, (await Json.ReadAsync(await _user.GetAsync("/api/v1/apps?search=nothing-like-it", Ct))).GetProperty("total").GetInt64());
        Assert.Equal(1, (await Json.ReadAsync(await _user.GetAsync("/api/v1/apps?search=MY-A", Ct))).GetProperty("total").GetInt64());
        await Json.AssertValidationAsync(await _user.GetAsync("/api/v1/apps?page_size=101", Ct));

        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(0, (await Json.ReadAsync(await eve.GetAsync("/api/v1/apps", Ct))).GetProperty("total").GetInt64());
        await Json.AssertDetailAsync(await eve.GetAsync($"/api/v1/apps/{appId}", Ct), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await eve.GetAsync($"/api/v1/apps/{appId}/cvms", Ct), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await InstanceAsync(appId, client: eve), HttpStatusCode.NotFound);
        await Json.AssertDetailAsync(await _user.GetAsync("/api/v1/apps/not-an-app", Ct), HttpStatusCode.NotFound);

        using var admin = await _app.AdminClientAsync();
        var all = await Json.ReadAsync(await admin.GetAsync("/api/v1/apps", Ct));
        Assert.Contains(all.GetProperty("dstack_apps").EnumerateArray(), a => a.GetProperty("app_id").GetString() == appId);
    }

    [Fact]
    public async Task The_2025_10_28_shapes_carry_basic_cvms()
    {
        var vm = await DeployAsync(_user);
        var appId = vm.GetProperty("app_id").GetString()!;
        _user.DefaultRequestHeaders.Add("X-Phala-Version", "2025-10-28");
        var list = await Json.ReadAsync(await _user.GetAsync("/api/v1/apps", Ct));
        var cvm = list.GetProperty("dstack_apps")[0].GetProperty("current_cvm");
        Assert.Equal(_teepodId, cvm.GetProperty("teepod_id").GetInt64());
        Assert.Equal("tdx-1", cvm.GetProperty("teepod_name").GetString());
        Assert.Equal(1, cvm.GetProperty("vcpu").GetInt64());
        Assert.Equal(appId, (await Json.ReadAsync(await _user.GetAsync($"/api/v1/apps/{appId}", Ct))).GetProperty("cvms")[0].GetProperty("app_id").GetString());
        var cvms = await Json.ReadAsync(await _user.GetAsync($"/api/v1/apps/{appId}/cvms", Ct));
        Assert.Equal(vm.GetProperty("vm_uuid").GetString(), cvms[0].GetProperty("hosted").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_new_instance_runs_the_exact_compose_bytes_and_env_of_the_app()
    {
        var first = await DeployAsync(_user);
        var appId = first.GetProperty("app_id").GetString()!;
        var response = await InstanceAsync(appId, $$"""{"node_id": {{_teepodId}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var vm = await Json.ReadAsync(response);
        foreach (var key in new[] { "id", "name", "status", "teepod_id", "app_id", "vcpu", "memory", "disk_size", "created_at", "teepod",
                                     "user_id", "vm_uuid", "instance_id", "app_url", "base_image", "manifest_version", "version", "runner",
                                     "docker_compose_file", "features", "encrypted_env_pubkey" })
            Assert.True(vm.TryGetProperty(key, out _), $"missing {key}");
        Assert.Equal(JsonValueKind.Number, vm.GetProperty("id").ValueKind);
        Assert.NotEqual(first.GetProperty("id").GetInt64(), vm.GetProperty("id").GetInt64());
        Assert.Equal(_teepodId, vm.GetProperty("teepod_id").GetInt64());
        Assert.Equal(_teepodId, vm.GetProperty("teepod").GetProperty("id").GetInt64());
        Assert.Equal("tdx-1", vm.GetProperty("teepod").GetProperty("name").GetString());
        Assert.Equal(appId, vm.GetProperty("app_id").GetString());
        Assert.Equal(Compose, vm.GetProperty("docker_compose_file").GetString());

        Assert.Equal(Sha256(SimCompose(first)), Sha256(SimCompose(vm)));
        var simVm = _sim.State.GetVm(vm.GetProperty("vm_uuid").GetString()!)!;
        Assert.Equal(appId, simVm.AppId);
        Assert.True(_sim.State.TryDecryptEnv(appId, simVm.EncryptedEnv, out var plaintext));
        Assert.Equal(Env, plaintext);

        var app = await Json.ReadAsync(await _user.GetAsync($"/api/v1/apps/{appId}", Ct));
        Assert.Equal(2, app.GetProperty("cvm_count").GetInt32());
        Assert.Equal(vm.GetProperty("vm_uuid").GetString(), app.GetProperty("current_cvm").GetProperty("vm_uuid").GetString());
    }

    [Fact]
    public async Task Instances_running_different_composes_need_compose_hash()
    {
        var first = await DeployAsync(_user);
        var appId = first.GetProperty("app_id").GetString()!;
        var firstHash = Sha256(SimCompose(first));
        const string other = "services:\n  web:\n    image: nginx:1.28\n";
        var changed = await InstanceAsync(appId, $$"""{"docker_compose_file": "{{JsonEncodedText.Encode(other)}}"}""");
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var second = await Json.ReadAsync(changed);
        Assert.Equal(other, second.GetProperty("docker_compose_file").GetString());
        var secondCompose = SimCompose(second);
        using (var doc = JsonDocument.Parse(secondCompose))
        {
            Assert.Equal(other, doc.RootElement.GetProperty("docker_compose_file").GetString());
            Assert.True(doc.RootElement.GetProperty("kms_enabled").GetBoolean()); // the rest of the compose kept
        }

        var ambiguous = await Json.AssertValidationAsync(await InstanceAsync(appId));
        Assert.Equal("compose_hash", ambiguous[0].GetProperty("loc")[1].GetString());
        await Json.AssertValidationAsync(await InstanceAsync(appId, $$"""{"compose_hash": "{{new string('0', 64)}}"}"""));

        var chosen = await InstanceAsync(appId, $$"""{"compose_hash": "0x{{firstHash}}"}""");
        Assert.Equal(HttpStatusCode.OK, chosen.StatusCode);
        Assert.Equal(firstHash, Sha256(SimCompose(await Json.ReadAsync(chosen))));
    }

    [Fact]
    public async Task Prepare_only_answers_465_and_the_token_commits_exactly_once()
    {
        var first = await DeployAsync(_user);
        var appId = first.GetProperty("app_id").GetString()!;
        var count = _sim.State.VmCount;

        var prepared = await InstanceAsync(appId, prepareOnly: true);
        Assert.Equal(465, (int)prepared.StatusCode);
        var detail = (await Json.ReadAsync(prepared)).GetProperty("detail");
        Assert.Contains("prepared", detail.GetProperty("message").GetString());
        var fields = detail.GetProperty("details").EnumerateArray().ToDictionary(
            d => d.GetProperty("field").GetString()!, d => d.GetProperty("value"));
        Assert.Equal(
            ["compose_hash", "app_id", "device_id", "kms_info", "commit_token", "commit_url", "api_commit_url", "onchain_status"],
            fields.Keys.ToArray());
        Assert.Equal(Sha256(SimCompose(first)), fields["compose_hash"].GetString());
        Assert.Equal(appId, fields["app_id"].GetString());
        Assert.Equal(JsonValueKind.Null, fields["device_id"].ValueKind);
        Assert.Equal("local-kms", fields["kms_info"].GetProperty("id").GetString());
        Assert.EndsWith($"/api/v1/apps/{appId}/instances", fields["api_commit_url"].GetString());
        Assert.True(fields["onchain_status"].GetProperty("is_allowed").GetBoolean());
        Assert.True(fields["onchain_status"].GetProperty("compose_hash_allowed").GetBoolean());
        Assert.True(fields["onchain_status"].GetProperty("device_id_allowed").GetBoolean());
        var token = fields["commit_token"].GetString()!;
        Assert.Equal(count, _sim.State.VmCount); // nothing created yet

        await using (var c = await _app.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pending_operations WHERE token_hash = @token", new { token }));

        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        await Json.AssertDetailAsync(await InstanceAsync(appId, $$"""{"token": "{{token}}"}""", client: eve), HttpStatusCode.NotFound);
        Assert.Contains("not the prepared",
            await Json.AssertDetailAsync(await InstanceAsync(appId, $$"""{"token": "{{token}}", "compose_hash": "{{new string('1', 64)}}"}"""), HttpStatusCode.Conflict));

        var committed = await InstanceAsync(appId, $$"""{"token": "{{token}}", "transaction_hash": "already-registered"}""");
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        var vm = await Json.ReadAsync(committed);
        Assert.Equal(appId, vm.GetProperty("app_id").GetString());
        Assert.Equal(fields["compose_hash"].GetString(), Sha256(SimCompose(vm)));
        Assert.Equal(count + 1, _sim.State.VmCount);
        await using (var c = await _app.Db.OpenAsync())
            Assert.Equal("already-registered", await c.ExecuteScalarAsync<string?>("SELECT transaction_hash FROM pending_operations WHERE kind = 'instance'"));

        Assert.Contains("used already",
            await Json.AssertDetailAsync(await InstanceAsync(appId, $$"""{"token": "{{token}}"}"""), HttpStatusCode.Conflict));
        Assert.Equal(count + 1, _sim.State.VmCount);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var appId = (await DeployAsync(_user)).GetProperty("app_id").GetString()!;
        var prepared = await Json.ReadAsync(await InstanceAsync(appId, prepareOnly: true));
        var token = prepared.GetProperty("detail").GetProperty("details").EnumerateArray()
            .Single(d => d.GetProperty("field").GetString() == "commit_token").GetProperty("value").GetString()!;
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE pending_operations SET expires_at = '2000-01-01T00:00:00.000Z'");
        Assert.Contains("expired", await Json.AssertDetailAsync(await InstanceAsync(appId, $$"""{"token": "{{token}}"}"""), HttpStatusCode.Conflict));
        await Json.AssertDetailAsync(await InstanceAsync(appId, """{"token": "thct_unknown"}"""), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Tier_limits_apply_to_new_instances()
    {
        var appId = (await DeployAsync(_user)).GetProperty("app_id").GetString()!;
        await new UserStore(_app.Db).SetTierAsync("dana", "FREE");
        Assert.Contains("FREE tier allows 1 of CVMs", await Json.AssertDetailAsync(await InstanceAsync(appId), HttpStatusCode.Forbidden));
        Assert.Contains("FREE tier allows 1 of CVMs", await Json.AssertDetailAsync(await InstanceAsync(appId, prepareOnly: true), HttpStatusCode.Forbidden));
        await Json.AssertDetailAsync(await InstanceAsync(appId, """{"node_id": 999}"""), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_vmm_failure_while_adding_an_instance_is_502_and_a_retry_creates_exactly_one()
    {
        var first = await DeployAsync(_user);
        var appId = first.GetProperty("app_id").GetString()!;
        var before = _sim.State.VmCount;

        _sim.State.FailAfter("CreateVm", successfulCalls: 0); // the compose is read, then the create fails
        await Json.AssertDetailAsync(await InstanceAsync(appId), HttpStatusCode.BadGateway);
        _sim.SetFault(FaultMode.None);
        Assert.Equal(before, _sim.State.VmCount);
        var app = await Json.ReadAsync(await _user.GetAsync($"/api/v1/apps/{appId}", Ct));
        Assert.Equal(1, app.GetProperty("cvm_count").GetInt32());

        // A prepared instance whose commit hit the failure can be committed again with the same token.
        var prepared = await Json.ReadAsync(await InstanceAsync(appId, prepareOnly: true));
        var token = prepared.GetProperty("detail").GetProperty("details").EnumerateArray()
            .Single(d => d.GetProperty("field").GetString() == "commit_token").GetProperty("value").GetString();
        _sim.State.FailAfter("CreateVm", successfulCalls: 0);
        await Json.AssertDetailAsync(await InstanceAsync(appId, $$"""{"token": "{{token}}"}"""), HttpStatusCode.BadGateway);
        _sim.SetFault(FaultMode.None);
        Assert.Equal(HttpStatusCode.OK, (await InstanceAsync(appId, $$"""{"token": "{{token}}"}""")).StatusCode);
        Assert.Equal(before + 1, _sim.State.VmCount);
    }
}
