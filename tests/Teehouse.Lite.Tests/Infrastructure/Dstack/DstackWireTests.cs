using System.Text.Json;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// The exact requests on the wire, and answers the simulator never gives: older or hand-written dstack servers
/// (nulls, missing fields, quoted numbers, 0x hex, no paging), odd Empty bodies, and oversized error bodies.
/// </summary>
public sealed class DstackWireTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Theory]
    [InlineData("/some/prefix")]
    [InlineData("/some/prefix/")]
    [InlineData("")]
    [InlineData("/")]
    public async Task Calls_post_json_to_prpc_under_the_endpoint_path(string suffix)
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json("""{"version":"0.5.4","rev":"git:abc"}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var version = await factory.Vmm(server.BaseUrl + suffix).VersionAsync(Ct);
        Assert.Equal("0.5.4", version.Version);

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal(suffix.TrimEnd('/') + "/prpc/Version?json", request.Target);
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        Assert.Equal("{}", request.Body);
        Assert.Null(request.Header("Authorization"));
    }

    [Fact]
    public async Task The_token_goes_in_a_bearer_header_and_kms_and_gateway_use_their_own_paths()
    {
        await using var server = new CannedHttpServer(r => r.Target switch
        {
            "/kms/prpc/GetMeta?json" => CannedResponse.Json("""{"ca_cert":"pem","k256_pubkey":"0x02AB","chain_id":8453,"kms_contract_address":"0xabc","gateway_app_id":null}"""),
            "/gw/prpc/Info?json" => CannedResponse.Json("""{"base_domain":"apps.example","external_port":443,"app_address_ns_prefix":"_x","version":"0.5.3"}"""),
            _ => CannedResponse.Json("""{"vms":[],"port_mapping_enabled":true,"total":0}"""),
        });
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));

        var status = await factory.Vmm(server.BaseUrl, "tok-123").StatusAsync(new VmmStatusRequest { Keyword = "web", Page = 2, PageSize = 50 }, Ct);
        Assert.True(status.PortMappingEnabled);
        var request = server.Requests.Single(r => r.Target == "/prpc/Status?json");
        Assert.Equal("Bearer tok-123", request.Header("Authorization"));
        var body = Parse(request.Body);
        Assert.Equal("web", body.GetProperty("keyword").GetString());
        Assert.Equal(2, body.GetProperty("page").GetInt32());
        Assert.Equal(50, body.GetProperty("page_size").GetInt32());
        Assert.False(body.GetProperty("brief").GetBoolean());
        Assert.False(body.TryGetProperty("ids", out _)); // null is left out: serde defaults it

        var meta = await factory.Kms(server.BaseUrl + "/kms").GetMetaAsync(Ct);
        Assert.Equal("pem", meta.CaCert);
        Assert.Equal("02ab", meta.K256Pubkey);
        Assert.Equal(8453, meta.ChainId);
        Assert.Equal("0xabc", meta.KmsContractAddress);
        Assert.Null(meta.GatewayAppId);
        Assert.Null(server.Requests.Single(r => r.Target == "/kms/prpc/GetMeta?json").Header("Authorization"));

        var info = await factory.Gateway(server.BaseUrl + "/gw/").InfoAsync(Ct);
        Assert.Equal(("apps.example", 443, "_x", "0.5.3"), (info.BaseDomain, info.ExternalPort, info.AppAddressNsPrefix, info.Version));
    }

    [Fact]
    public async Task CreateVm_sends_snake_case_fields_hex_env_and_leaves_out_nulls()
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json("""{"id":"6f1c4e9a-0000-4000-8000-000000000001"}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var config = TestCompose.Config("wire") with
        {
            Vcpu = 2,
            DiskSize = 40,
            EncryptedEnv = "0xABCDEF",
            Ports = [new PortMapping { Protocol = "tcp", HostPort = 8080, VmPort = 80 }],
            KmsUrls = ["https://kms:8000"],
            Networks = [new NetworkingConfig { Mode = "user" }],
        };

        Assert.Equal("6f1c4e9a-0000-4000-8000-000000000001", await factory.Vmm(server.BaseUrl).CreateVmAsync(config, Ct));
        var body = Parse(Assert.Single(server.Requests).Body);
        Assert.Equal("wire", body.GetProperty("name").GetString());
        Assert.Equal("dstack-0.5.5", body.GetProperty("image").GetString());
        Assert.Equal(config.ComposeFile, body.GetProperty("compose_file").GetString());
        Assert.Equal(2, body.GetProperty("vcpu").GetInt32());
        Assert.Equal(1024, body.GetProperty("memory").GetInt32());
        Assert.Equal(40, body.GetProperty("disk_size").GetInt32());
        Assert.Equal("abcdef", body.GetProperty("encrypted_env").GetString());
        var port = Assert.Single(body.GetProperty("ports").EnumerateArray());
        Assert.Equal("tcp", port.GetProperty("protocol").GetString());
        Assert.Equal(8080, port.GetProperty("host_port").GetInt32());
        Assert.Equal(80, port.GetProperty("vm_port").GetInt32());
        Assert.Equal("https://kms:8000", body.GetProperty("kms_urls")[0].GetString());
        Assert.Equal("user", body.GetProperty("networks")[0].GetProperty("mode").GetString());
        Assert.False(body.GetProperty("stopped").GetBoolean());
        foreach (var absent in new[] { "app_id", "gpus", "networking", "simulated_tee" })
        {
            Assert.False(body.TryGetProperty(absent, out _), absent);
        }
    }

    [Fact]
    public async Task UpdateVm_sends_only_what_changes()
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json("""{"id":""}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var result = await factory.Vmm(server.BaseUrl).UpdateVmAsync(new UpdateVmRequest { Id = "vm-1", Vcpu = 4, UpdatePorts = true, Ports = [] }, Ct);
        Assert.Equal("", result);

        var body = Parse(Assert.Single(server.Requests).Body);
        Assert.Equal("vm-1", body.GetProperty("id").GetString());
        Assert.Equal(4, body.GetProperty("vcpu").GetInt32());
        Assert.True(body.GetProperty("update_ports").GetBoolean());
        Assert.Equal(0, body.GetProperty("ports").GetArrayLength());
        foreach (var absent in new[] { "memory", "disk_size", "image", "no_tee", "compose_file", "encrypted_env", "user_config", "gpus", "kms_urls" })
        {
            Assert.False(body.TryGetProperty(absent, out _), absent);
        }
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("")]
    [InlineData("  null\n")]
    public async Task Empty_results_may_be_null_an_empty_object_or_nothing(string answer)
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json(answer));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var vmm = factory.Vmm(server.BaseUrl);
        await vmm.StartVmAsync("vm-1", Ct);
        await vmm.StopVmAsync("vm-1", Ct);
        await vmm.ShutdownVmAsync("vm-1", Ct);
        await vmm.RemoveVmAsync("vm-1", Ct);
        Assert.Equal(
            ["/prpc/StartVm?json", "/prpc/StopVm?json", "/prpc/ShutdownVm?json", "/prpc/RemoveVm?json"],
            server.Requests.Select(r => r.Target));
        Assert.All(server.Requests, r => Assert.Equal("""{"id":"vm-1"}""", r.Body));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"ok\"")]
    [InlineData("{\"id\":")]
    public async Task Empty_results_that_are_something_else_are_bad_responses(string answer)
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json(answer));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(server.BaseUrl).StartVmAsync("vm-1", Ct));
        Assert.Equal(DstackFailure.BadResponse, e.Failure);
        Assert.Contains("StartVm returned HTTP 200", e.FullDetail);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{\"version\": 5")]
    public async Task A_typed_result_that_is_not_the_message_is_a_bad_response(string answer)
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json(answer));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(server.BaseUrl).VersionAsync(Ct));
        Assert.Equal(DstackFailure.BadResponse, e.Failure);
        Assert.Equal(502, ErrorHandling.StatusFor(e));
    }

    [Fact]
    public async Task Responses_are_read_leniently()
    {
        // Nulls for non-optional fields, missing fields, quoted and huge numbers, 0x/uppercase hex, unknown fields.
        const string status = """
            {
              "vms": [
                {
                  "id": "vm-a", "name": null, "status": "running", "app_id": "0xABCDEF0123",
                  "configuration": {
                    "name": "a", "vcpu": "2", "memory": null, "disk_size": 4294967295, "ports": null,
                    "encrypted_env": "0xDEADBEEF", "gpus": {"gpus": [{"slot": "18:00.0"}], "attach_mode": "listed"},
                    "kms_urls": ["https://kms"], "stopped": null, "future_field": {"nested": [1, 2]}
                  },
                  "events": null,
                  "interfaces": [{"mode": "user", "backend": "slirp", "mac": "52:54:00:00:00:01", "bridge_name": null}],
                  "something_new": true
                },
                { "id": "vm-b" }
              ],
              "total": "2",
              "port_mapping_enabled": null
            }
            """;
        await using var server = new CannedHttpServer(_ => CannedResponse.Json(status));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var response = await factory.Vmm(server.BaseUrl).StatusAsync(new VmmStatusRequest(), Ct);

        Assert.Equal(2, response.Total);
        Assert.False(response.PortMappingEnabled);
        var a = response.Vms[0];
        Assert.Equal("", a.Name);
        Assert.Equal("abcdef0123", a.AppId);
        Assert.Empty(a.Events);
        Assert.Null(a.InstanceId);
        Assert.Null(a.AppUrl);
        Assert.Equal("52:54:00:00:00:01", Assert.Single(a.Interfaces).Mac);
        var config = a.Configuration!;
        Assert.Equal(2, config.Vcpu);
        Assert.Equal(0, config.Memory);
        Assert.Equal(int.MaxValue, config.DiskSize);
        Assert.Empty(config.Ports);
        Assert.Equal("deadbeef", config.EncryptedEnv);
        Assert.Equal("18:00.0", Assert.Single(config.Gpus!.Gpus).Slot);
        Assert.False(config.Stopped);

        var b = response.Vms[1];
        Assert.Equal("vm-b", b.Id);
        Assert.Equal("", b.Status);
        Assert.Null(b.Configuration);
        Assert.Empty(b.Interfaces);
    }

    [Fact]
    public async Task Hex_keys_are_normalised_and_app_ids_sent_without_0x()
    {
        var upper = new string('A', 64);
        await using var server = new CannedHttpServer(_ => CannedResponse.Json(
            $$"""{"public_key":"0x{{upper}}","signature":"0xAB","timestamp":1735689600}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var key = await factory.Kms(server.BaseUrl).GetAppEnvEncryptPubKeyAsync("0xABCDEF0123456789ABCDEF0123456789ABCDEF01", Ct);

        Assert.Equal(new string('a', 64), key.PublicKey);
        Assert.Equal("ab", key.Signature);
        Assert.Equal("", key.SignatureV1); // an older KMS without signature_v1
        Assert.Equal(1735689600, key.Timestamp);
        Assert.Equal("""{"app_id":"abcdef0123456789abcdef0123456789abcdef01"}""", Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task GetMeta_parts_may_be_missing()
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json("""{"kms":{"url":"http://k","urls":["http://k"]}}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var meta = await factory.Vmm(server.BaseUrl).GetMetaAsync(Ct);
        Assert.Equal("http://k", meta.Kms!.Url);
        Assert.Null(meta.Gateway);
        Assert.Null(meta.Resources);
        Assert.Null(meta.Networking);
    }

    [Fact]
    public async Task ListAllVms_stops_after_one_call_on_a_vmm_that_ignores_paging()
    {
        // An older dstack-vmm without paging: every VM at once, and no total.
        const string everything = """{"vms":[{"id":"a"},{"id":"b"},{"id":"c"}],"port_mapping_enabled":false}""";
        await using var server = new CannedHttpServer(_ => CannedResponse.Json(everything));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var ids = new List<string>();
        await foreach (var vm in factory.Vmm(server.BaseUrl).ListAllVmsAsync(pageSize: 2, ct: Ct))
        {
            ids.Add(vm.Id);
        }

        Assert.Equal(["a", "b", "c"], ids);
        Assert.Single(server.Requests);
        var body = Parse(server.Requests.Single().Body);
        Assert.Equal(1, body.GetProperty("page").GetInt32());
        Assert.Equal(2, body.GetProperty("page_size").GetInt32());
    }

    [Fact]
    public async Task ListAllVms_stops_when_pages_repeat_or_the_total_is_reached()
    {
        // Honours page_size but not page: the same first page forever, with a total that is never reached.
        const string samePage = """{"vms":[{"id":"a"},{"id":"b"}],"total":10}""";
        await using var repeating = new CannedHttpServer(_ => CannedResponse.Json(samePage));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var ids = new List<string>();
        await foreach (var vm in factory.Vmm(repeating.BaseUrl).ListAllVmsAsync(pageSize: 2, ct: Ct))
        {
            ids.Add(vm.Id);
        }

        Assert.Equal(["a", "b"], ids);
        Assert.Equal(2, repeating.Requests.Count);

        // Exactly total on full pages: no extra empty call.
        await using var exact = new CannedHttpServer(r => Parse(r.Body).GetProperty("page").GetInt32() == 1
            ? CannedResponse.Json("""{"vms":[{"id":"a"},{"id":"b"}],"total":4}""")
            : CannedResponse.Json("""{"vms":[{"id":"c"},{"id":"d"}],"total":4}"""));
        ids.Clear();
        await foreach (var vm in factory.Vmm(exact.BaseUrl).ListAllVmsAsync(pageSize: 2, ct: Ct))
        {
            ids.Add(vm.Id);
        }

        Assert.Equal(["a", "b", "c", "d"], ids);
        Assert.Equal(2, exact.Requests.Count);
    }

    [Fact]
    public async Task ListAllVms_without_a_total_relies_on_short_or_repeated_pages()
    {
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));

        // Pages, but reports no total: keeps going until a short page.
        await using var paging = new CannedHttpServer(r => Parse(r.Body).GetProperty("page").GetInt32() switch
        {
            1 => CannedResponse.Json("""{"vms":[{"id":"a"},{"id":"b"}]}"""),
            2 => CannedResponse.Json("""{"vms":[{"id":"c"},{"id":"d"}]}"""),
            _ => CannedResponse.Json("""{"vms":[{"id":"e"}]}"""),
        });
        var ids = new List<string>();
        await foreach (var vm in factory.Vmm(paging.BaseUrl).ListAllVmsAsync(pageSize: 2, ct: Ct))
        {
            ids.Add(vm.Id);
        }

        Assert.Equal(["a", "b", "c", "d", "e"], ids);
        Assert.Equal(3, paging.Requests.Count);

        // No paging and exactly a page worth of VMs: the repeat on the second call ends it.
        await using var unpaged = new CannedHttpServer(_ => CannedResponse.Json("""{"vms":[{"id":"a"},{"id":"b"}]}"""));
        ids.Clear();
        await foreach (var vm in factory.Vmm(unpaged.BaseUrl).ListAllVmsAsync(pageSize: 2, ct: Ct))
        {
            ids.Add(vm.Id);
        }

        Assert.Equal(["a", "b"], ids);
        Assert.Equal(2, unpaged.Requests.Count);
    }

    [Fact]
    public async Task GetInfo_returns_the_vm_when_found()
    {
        await using var server = new CannedHttpServer(r => r.Body.Contains("known", StringComparison.Ordinal)
            ? CannedResponse.Json("""{"found":true,"info":{"id":"known","name":"n","status":"exited","boot_error":"oops"}}""")
            : CannedResponse.Json("""{"found":false,"info":null}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var vmm = factory.Vmm(server.BaseUrl);
        var info = await vmm.GetInfoAsync("known", Ct);
        Assert.Equal(("known", "exited", "oops"), (info!.Id, info.Status, info.BootError));
        Assert.Null(await vmm.GetInfoAsync("other", Ct));
    }

    [Fact]
    public async Task A_pretty_printed_prpc_error_becomes_the_remote_message()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(400, "{\n  \"error\": \"Failed to start VM: VM is being removed\"\n}"));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(server.BaseUrl, "tok-SECRET-1").StartVmAsync("vm-1", Ct));
        Assert.Equal(DstackFailure.RemoteError, e.Failure);
        Assert.Equal("Failed to start VM: VM is being removed", e.RemoteMessage);
        Assert.Equal($"teepod {server.BaseUrl}: StartVm failed: Failed to start VM: VM is being removed", e.FullDetail);
        Assert.DoesNotContain("SECRET", e.FullDetail);
        Assert.Equal("the teepod refused StartVm: Failed to start VM: VM is being removed", e.PublicDetail);
    }

    [Theory]
    [InlineData(400, "text/plain", "bad request, not JSON")]
    [InlineData(404, "text/plain", "404: Not Found")]
    [InlineData(502, "text/html", "<html><body>Bad Gateway</body></html>")]
    [InlineData(400, "application/json", "{\"message\":\"no error field\"}")]
    public async Task Other_failure_statuses_are_bad_responses_naming_the_status(int status, string contentType, string body)
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(status, body, contentType));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(server.BaseUrl, "tok-SECRET-2").GetMetaAsync(Ct));
        Assert.Equal(DstackFailure.BadResponse, e.Failure);
        Assert.Equal(status, e.HttpStatus);
        Assert.Null(e.RemoteMessage);
        Assert.StartsWith($"teepod {server.BaseUrl}: GetMeta failed with HTTP {status}", e.FullDetail);
        Assert.Contains(body.Length > 30 ? body[..30] : body, e.FullDetail);
        Assert.DoesNotContain("SECRET", e.FullDetail);
    }

    [Fact]
    public async Task Huge_bodies_are_never_dumped_into_the_detail()
    {
        var huge = new string('x', 200_000);
        await using var server = new CannedHttpServer(r => r.Target.Contains("Version", StringComparison.Ordinal)
            ? new CannedResponse(500, huge, "text/plain")
            : CannedResponse.Json("<" + huge));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var vmm = factory.Vmm(server.BaseUrl);

        var error500 = await Assert.ThrowsAsync<DstackException>(() => vmm.VersionAsync(Ct));
        Assert.InRange(error500.FullDetail.Length, 100, 400);
        Assert.Contains("xxxxx…", error500.FullDetail);

        var garbage = await Assert.ThrowsAsync<DstackException>(() => vmm.GetMetaAsync(Ct));
        Assert.Equal(DstackFailure.BadResponse, garbage.Failure);
        Assert.InRange(garbage.FullDetail.Length, 100, 600);
    }

    [Fact]
    public async Task Unauthorized_from_a_kms_names_the_kms()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(401, "", "text/plain"));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Kms(server.BaseUrl).GetMetaAsync(Ct));
        Assert.Equal(DstackFailure.Unauthorized, e.Failure);
        Assert.Equal($"KMS {server.BaseUrl}: the KMS rejected our credentials (HTTP 401)", e.FullDetail);
    }

    [Fact]
    public async Task Logs_are_requested_with_the_dstack_query()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(200, "line 1\nline 2\n", "text/plain"));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        await using var stream = await factory.Vmm(server.BaseUrl + "/p", "tok").OpenLogsAsync("vm 1", follow: true, lines: 20, channel: "stderr", Ct);
        using var reader = new StreamReader(stream);
        Assert.Equal("line 1\nline 2\n", await reader.ReadToEndAsync(Ct));

        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/p/logs?id=vm%201&follow=true&ansi=false&lines=20&ch=stderr", request.Target);
        Assert.Equal("Bearer tok", request.Header("Authorization"));
    }
}
