using System.Net;
using System.Text.Json;
using Dapper;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>POST /status/batch, PATCH /cvms/{id}/resources and POST /cvms/{id}/replicas against the simulator.</summary>
public sealed class CvmAliasTests : SimulatedTeepodTest
{
    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";

    private sealed record Deployed(string VmUuid, string AppId, long Id);

    private async Task<Deployed> DeployAsync(string name = "alias-app")
    {
        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "{{name}}", "instance_type": "tdx.small",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "{{name}}", "kms_enabled": true,
                              "gateway_enabled": true} }
            """), Ct));
        var appId = provision.GetProperty("app_id").GetString()!;
        var hash = provision.GetProperty("compose_hash").GetString()!;
        var committed = await _user.PostAsync("/api/v1/cvms", Json.Body($$"""{"app_id": "{{appId}}", "compose_hash": "{{hash}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        var body = await Json.ReadAsync(committed);
        return new Deployed(body.GetProperty("vm_uuid").GetString()!, appId, body.GetProperty("id").GetInt64());
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string json, HttpClient? client = null) =>
        (client ?? _user).SendAsync(new HttpRequestMessage(method, path) { Content = Json.Body(json) }, Ct);

    [Fact]
    public async Task Uptime_in_the_status_batch_and_the_2025_list_is_counted_from_the_stored_start()
    {
        var cvm = await DeployAsync();
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE cvms SET uptime = '1s', started_at = unixepoch() - 3723 WHERE id = @id", new { id = cvm.Id });
        var batch = await Json.ReadAsync(await Send(HttpMethod.Post, "/api/v1/status/batch", $$"""{"vm_uuids": ["{{cvm.VmUuid}}"]}"""));
        Assert.Matches("^1h 2m [345]s$", batch.GetProperty(cvm.VmUuid).GetProperty("uptime").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/cvms/paginated");
        request.Headers.Add("X-Phala-Version", "2025-10-28");
        var page = await Json.ReadAsync(await _user.SendAsync(request, Ct));
        Assert.Matches("^1h 2m [345]s$", page.GetProperty("items")[0].GetProperty("hosted").GetProperty("uptime").GetString());
    }

    [Fact]
    public async Task Status_batch_answers_the_callers_cvms_from_the_rows_keyed_by_the_uuid_sent()
    {
        var cvm = await DeployAsync();
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE cvms SET status = 'running', uptime = '5m', started_at = NULL WHERE id = @id", new { id = cvm.Id });
        var dashless = cvm.VmUuid.Replace("-", "").ToUpperInvariant();
        var response = await Send(HttpMethod.Post, "/api/v1/status/batch",
            $$"""{"vm_uuids": ["{{cvm.VmUuid}}", "{{dashless}}", "00000000-0000-4000-8000-000000000000"]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal(2, body.EnumerateObject().Count()); // the unknown uuid is left out
        var entry = body.GetProperty(cvm.VmUuid);
        Assert.Equal(cvm.VmUuid, entry.GetProperty("vm_uuid").GetString());
        Assert.Equal("running", entry.GetProperty("status").GetString());
        Assert.Equal("5m", entry.GetProperty("uptime").GetString());
        Assert.False(entry.GetProperty("in_progress").GetBoolean());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("operation_type").ValueKind);
        Assert.True(body.TryGetProperty(dashless, out _));

        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        var foreign = await Json.ReadAsync(await Send(HttpMethod.Post, "/api/v1/status/batch", $$"""{"vm_uuids": ["{{cvm.VmUuid}}"]}""", eve));
        Assert.Empty(foreign.EnumerateObject());
        using var admin = await _app.AdminClientAsync();
        var all = await Json.ReadAsync(await Send(HttpMethod.Post, "/api/v1/status/batch", $$"""{"vm_uuids": ["{{cvm.VmUuid}}"]}""", admin));
        Assert.Single(all.EnumerateObject());

        var empty = await Send(HttpMethod.Post, "/api/v1/status/batch", """{"vm_uuids": []}""");
        Assert.Equal("{}", await empty.Content.ReadAsStringAsync(Ct));
        foreach (var bad in (string[])["{}", """{"vm_uuids": "x"}""", """{"vm_uuids": [1]}"""])
        {
            var refused = await Send(HttpMethod.Post, "/api/v1/status/batch", bad);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.True((await Json.ReadAsync(refused)).TryGetProperty("detail", out _));
        }
    }

    [Fact]
    public async Task Resources_resizes_a_running_cvm_only_with_allow_restart()
    {
        var cvm = await DeployAsync();
        var path = $"/api/v1/cvms/app_{cvm.AppId}/resources"; // what `phala cvms resize` sends
        var refused = await Send(HttpMethod.Patch, path, """{"vcpu": 3}""");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.NotEqual(3u, _sim.State.GetVm(cvm.VmUuid)!.Vcpu);

        // `phala cvms resize -r true` sends the option's text: "true", which pydantic (and so the hosted API) accepts.
        var resized = await Send(HttpMethod.Patch, path, """{"vcpu": 3, "memory": 3072, "allow_restart": "true"}""");
        Assert.Equal(HttpStatusCode.Accepted, resized.StatusCode);
        var vm = _sim.State.GetVm(cvm.VmUuid)!;
        Assert.Equal(3u, vm.Vcpu);
        Assert.Equal(3072u, vm.Memory);
        for (var i = 0; i < 100 && _sim.State.GetVm(cvm.VmUuid)!.Status != "running"; i++) await Task.Delay(100, Ct);
        Assert.Equal("running", _sim.State.GetVm(cvm.VmUuid)!.Status);
    }

    [Fact]
    public async Task Resources_takes_an_instance_type_and_the_sdks_id_fields_and_refuses_bad_input()
    {
        var cvm = await DeployAsync();
        Assert.Equal(HttpStatusCode.OK, (await _user.PostAsync($"/api/v1/cvms/{cvm.VmUuid}/stop", null, Ct)).StatusCode);
        var path = $"/api/v1/cvms/{cvm.VmUuid}/resources";
        var resized = await Send(HttpMethod.Patch, path, $$"""{"uuid": "{{cvm.VmUuid}}", "instance_type": "tdx.large"}""");
        Assert.Equal(HttpStatusCode.Accepted, resized.StatusCode);
        Assert.Equal(4u, _sim.State.GetVm(cvm.VmUuid)!.Vcpu);

        foreach (var bad in (string[])["{}", """{"vcpu": 0}""", """{"vcpu": "two"}""", """{"instance_type": "tdx.huge"}""",
                     """{"vcpu": 2, "allow_restart": "maybe"}""", """{"docker_compose_file": "services: {}"}"""])
        {
            var refused = await Send(HttpMethod.Patch, path, bad);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.True((await Json.ReadAsync(refused)).TryGetProperty("detail", out _));
        }
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Patch, path, """{"vcpu": 2}""", eve)).StatusCode);
    }

    [Fact]
    public async Task Replicas_adds_a_second_vm_of_the_same_app()
    {
        var cvm = await DeployAsync();
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound,
            (await Send(HttpMethod.Post, $"/api/v1/cvms/{cvm.VmUuid}/replicas", "{}", eve)).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await Send(HttpMethod.Post, $"/api/v1/cvms/{cvm.VmUuid}/replicas", """{"node_id": "x"}""")).StatusCode);

        var response = await Send(HttpMethod.Post, $"/api/v1/cvms/{cvm.VmUuid}/replicas", $$"""{"node_id": {{_teepodId}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        var replica = body.GetProperty("vm_uuid").GetString()!;
        Assert.NotEqual(cvm.VmUuid, replica);
        Assert.Equal(cvm.AppId, body.GetProperty("app_id").GetString());
        Assert.Equal(_teepodId, body.GetProperty("teepod_id").GetInt64());
        var vms = _sim.State.ListVms().Where(v => v.AppId == cvm.AppId).ToList();
        Assert.Equal(2, vms.Count);
        Assert.Equal(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile, _sim.State.GetVm(replica)!.ComposeFile);
    }

    [Fact]
    public async Task Docker_compose_and_pre_launch_script_are_read_and_patched_as_text()
    {
        var cvm = await DeployAsync();
        var yml = await _user.GetAsync($"/api/v1/cvms/{cvm.VmUuid}/docker-compose.yml", Ct);
        Assert.Equal(HttpStatusCode.OK, yml.StatusCode);
        Assert.Equal("text/yaml", yml.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Compose, await yml.Content.ReadAsStringAsync(Ct));
        var empty = await _user.GetAsync($"/api/v1/cvms/{cvm.VmUuid}/pre-launch-script", Ct);
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        Assert.Equal("", await empty.Content.ReadAsStringAsync(Ct));

        const string newCompose = "services:\n  web:\n    image: nginx:1.29\n";
        var patched = await _user.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/cvms/{cvm.VmUuid}/docker-compose")
            { Content = new StringContent(newCompose, System.Text.Encoding.UTF8, "text/yaml") }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        Assert.Equal("in_progress", (await Json.ReadAsync(patched)).GetProperty("status").GetString());
        using (var doc = JsonDocument.Parse(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile))
            Assert.Equal(newCompose, doc.RootElement.GetProperty("docker_compose_file").GetString());
        Assert.Equal(cvm.AppId, _sim.State.GetVm(cvm.VmUuid)!.AppId);

        var script = await _user.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/cvms/{cvm.VmUuid}/pre-launch-script")
            { Content = new StringContent("echo hi\n", System.Text.Encoding.UTF8, "text/plain") }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, script.StatusCode);
        Assert.Equal("echo hi\n", await (await _user.GetAsync($"/api/v1/cvms/{cvm.VmUuid}/pre-launch-script", Ct)).Content.ReadAsStringAsync(Ct));

        var blank = await _user.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/cvms/{cvm.VmUuid}/docker-compose")
            { Content = new StringContent(" ", System.Text.Encoding.UTF8, "text/yaml") }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blank.StatusCode);
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/api/v1/cvms/{cvm.VmUuid}/docker-compose.yml", Ct)).StatusCode);
        for (var i = 0; i < 100 && _sim.State.GetVm(cvm.VmUuid)!.Status != "running"; i++) await Task.Delay(100, Ct);
    }

    [Fact]
    public async Task Visibility_sets_the_public_flags_and_answers_the_detail()
    {
        var cvm = await DeployAsync();
        var path = $"/api/v1/cvms/{cvm.VmUuid}/visibility";
        var response = await Send(HttpMethod.Patch, path, """{"public_sysinfo": false, "public_logs": false, "public_tcbinfo": true}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal(cvm.VmUuid, body.GetProperty("vm_uuid").GetString());
        using (var doc = JsonDocument.Parse(_sim.State.GetVm(cvm.VmUuid)!.ComposeFile))
        {
            Assert.False(doc.RootElement.GetProperty("public_logs").GetBoolean());
            Assert.False(doc.RootElement.GetProperty("public_sysinfo").GetBoolean());
            Assert.True(doc.RootElement.GetProperty("public_tcbinfo").GetBoolean());
        }
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Send(HttpMethod.Patch, path, """{"public_sysinfo": true}""")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await Send(HttpMethod.Patch, path, """{"public_sysinfo": true, "public_logs": 1}""")).StatusCode);
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound,
            (await Send(HttpMethod.Patch, path, """{"public_sysinfo": true, "public_logs": true}""", eve)).StatusCode);
        for (var i = 0; i < 100 && _sim.State.GetVm(cvm.VmUuid)!.Status != "running"; i++) await Task.Delay(100, Ct);
    }

    [Fact]
    public async Task User_config_is_read_from_the_vm()
    {
        var cvm = await DeployAsync();
        var path = $"/api/v1/cvms/{cvm.VmUuid}/user_config";
        var before = await Json.ReadAsync(await _user.GetAsync(path, Ct));
        Assert.Empty(before.GetProperty("ssh_authorized_keys").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("hostname").ValueKind);

        var config = """{"hostname": "box", "ssh_authorized_keys": ["ssh-ed25519 AAAA k1"], "default_gateway_domain": "gw.example"}""";
        var patched = await Send(HttpMethod.Patch, $"/api/v1/cvms/{cvm.VmUuid}", $$"""{"user_config": "{{JsonEncodedText.Encode(config)}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        var after = await Json.ReadAsync(await _user.GetAsync(path, Ct));
        Assert.Equal("box", after.GetProperty("hostname").GetString());
        Assert.Equal("ssh-ed25519 AAAA k1", after.GetProperty("ssh_authorized_keys")[0].GetString());
        Assert.Equal("gw.example", after.GetProperty("default_gateway_domain").GetString());
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync(path, Ct)).StatusCode);
        for (var i = 0; i < 100 && _sim.State.GetVm(cvm.VmUuid)!.Status != "running"; i++) await Task.Delay(100, Ct);
    }
}
