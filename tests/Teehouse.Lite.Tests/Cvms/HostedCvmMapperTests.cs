using Teehouse.Lite.Shared;
using System.Text.Json;
using System.Text.Json.Serialization;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Kms;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class HostedCvmMapperTests
{
    private const string AppId = "0123456789abcdef0123456789abcdef01234567";

    private const string KmsCompose =
        """{"manifest_version":2,"name":"web","runner":"docker-compose","docker_compose_file":"services: {}\n","kms_enabled":true,"gateway_enabled":true,"public_logs":true,"public_sysinfo":true,"allowed_envs":["FOO"],"features":["kms"],"salt":"s"}""";

    private static readonly KmsInfo KmsA = new("kms-a", "a", "https://kms-a.example:8000", "v0.5.5", 8453, "0xabc", null);
    private static readonly KmsInfo KmsB = new("kms-b", null, "https://KMS-B.example:8000/", "v0.5.5", null, null, null);

    private static readonly TeepodRecord Teepod = new() { Id = 7, Name = "node-7", RegionIdentifier = "eu-west" };

    private static VmInfo Vm(string compose = KmsCompose, IReadOnlyList<string>? kmsUrls = null, GpuConfig? gpus = null) => new()
    {
        Id = "6f1a3c1e-9d2b-4b8e-8f4a-2c1d3e4f5a6b",
        Name = "web",
        Status = "running",
        Uptime = "1h 2m 3s",
        AppUrl = "https://abcd-8090.gw.example",
        AppId = AppId,
        InstanceId = "feedfacefeedfacefeedfacefeedfacefeedface",
        ExitedAt = "never",
        BootProgress = "done",
        BootError = "",
        ShutdownProgress = "",
        ImageVersion = "0.5.5",
        Configuration = new VmConfiguration
        {
            Name = "web",
            Image = "dstack-0.5.5",
            ComposeFile = compose,
            Vcpu = 2,
            Memory = 4096,
            DiskSize = 40,
            Ports = [new PortMapping { Protocol = "tcp", HostPort = 8080, VmPort = 80, HostAddress = "127.0.0.1" }],
            EncryptedEnv = "0xDEADBEEF",
            AppId = AppId,
            UserConfig = "{}",
            Hugepages = true,
            PinNuma = false,
            Gpus = gpus,
            KmsUrls = kmsUrls ?? ["https://kms-b.example:8000"],
            GatewayUrls = ["https://gw.example:8000"],
        },
    };

    private static CvmRow Record() => new()
    {
        Id = 1,
        TeepodId = 7,
        VmUuid = "6f1a3c1e-9d2b-4b8e-8f4a-2c1d3e4f5a6b",
        AppId = AppId,
        Name = "my-web",
        Status = "stopped",
        Vcpu = 1,
        Memory = 1024,
        DiskSize = 20,
        UserId = 42,
        Username = "alice",
        Listed = true,
        InProgress = true,
    };

    [Fact]
    public void Hosted_mirrors_the_vmm()
    {
        var r = HostedCvmMapper.Map(Vm(), null, Teepod, [KmsA]);
        var h = r.Hosted;

        Assert.Equal("6f1a3c1e-9d2b-4b8e-8f4a-2c1d3e4f5a6b", h.Id);
        Assert.Equal("web", h.Name);
        Assert.Equal("running", h.Status);
        Assert.Equal("1h 2m 3s", h.Uptime);
        Assert.Equal("https://abcd-8090.gw.example", h.AppUrl);
        Assert.Equal(AppId, h.AppId);
        Assert.Equal("feedfacefeedfacefeedfacefeedfacefeedface", h.InstanceId);
        Assert.Equal("never", h.ExitedAt);
        Assert.Equal("done", h.BootProgress);
        Assert.Equal("", h.BootError);
        Assert.Equal("", h.ShutdownProgress);
        Assert.Equal("0.5.5", h.ImageVersion);

        var c = h.Configuration!;
        Assert.Equal("web", c.Name);
        Assert.Equal("dstack-0.5.5", c.Image);
        Assert.Equal(2, c.Vcpu);
        Assert.Equal(4096, c.Memory);
        Assert.Equal(40, c.DiskSize);
        Assert.Equal([new HostedPortMapping("tcp", 8080, 80, "127.0.0.1")], c.Ports);
        Assert.Equal("deadbeef", c.EncryptedEnv);
        Assert.Equal(AppId, c.AppId);
        Assert.Equal("{}", c.UserConfig);
        Assert.True(c.Hugepages);
        Assert.False(c.PinNuma);
        Assert.Empty(c.Gpus);
        Assert.Equal(["https://kms-b.example:8000"], c.KmsUrls);
        Assert.Equal(["https://gw.example:8000"], c.GatewayUrls);

        var compose = c.ComposeFile!;
        Assert.Equal("web", compose.Name);
        Assert.True(compose.KmsEnabled);
        Assert.True(compose.GatewayEnabled);
        Assert.True(compose.TproxyEnabled);
        Assert.Equal("services: {}\n", compose.DockerComposeFile);
        Assert.Null(compose.Raw);
    }

    [Fact]
    public void Without_a_record_the_control_plane_fields_come_from_the_vm()
    {
        var r = HostedCvmMapper.Map(Vm(), null, Teepod, [KmsA]);

        Assert.Equal("web", r.Name);
        Assert.Null(r.ManagedUser);
        Assert.Equal(new NodeRef(7, "node-7", "eu-west"), r.Node);
        Assert.False(r.Listed);
        Assert.Equal("running", r.Status);
        Assert.False(r.InProgress);
        Assert.Equal("https://abcd-8090.gw.example", r.DappDashboardUrl);
        Assert.Null(r.SyslogEndpoint);
        Assert.False(r.AllowUpgrade);
        Assert.Null(r.ProjectId);
        Assert.Null(r.ProjectType);
        Assert.Null(r.BillingPeriod);
        Assert.Null(r.ContractAddress);
        Assert.Null(r.DeployerAddress);
        Assert.Equal(2, r.Vcpu);
        Assert.Equal(4096, r.Memory);
        Assert.Equal(40, r.DiskSize);
    }

    [Fact]
    public void With_a_record_name_owner_and_flags_come_from_it_but_status_and_sizes_stay_live()
    {
        var r = HostedCvmMapper.Map(Vm(), Record(), Teepod, [KmsA]);

        Assert.Equal("my-web", r.Name);
        Assert.Equal(new ManagedUser(42, "alice"), r.ManagedUser);
        Assert.True(r.Listed);
        Assert.True(r.InProgress);
        Assert.Equal("running", r.Status); // the record says "stopped", but the vmm is live
        Assert.Equal(2, r.Vcpu);
        Assert.Equal(4096, r.Memory);
        Assert.Equal(40, r.DiskSize);
        Assert.Equal("web", r.Hosted.Name);
    }

    [Fact]
    public void A_record_without_owner_or_name_falls_back()
    {
        var record = Record();
        record.UserId = null;
        record.Username = null;
        record.Name = "";

        var r = HostedCvmMapper.Map(Vm(), record, Teepod, []);

        Assert.Null(r.ManagedUser);
        Assert.Equal("web", r.Name);
    }

    [Fact]
    public void An_owner_without_a_username_gets_an_empty_one()
    {
        var record = Record();
        record.Username = null;

        Assert.Equal(new ManagedUser(42, ""), HostedCvmMapper.Map(Vm(), record, Teepod, []).ManagedUser);
    }

    [Fact]
    public void A_brief_vm_has_no_configuration_and_takes_sizes_from_the_record()
    {
        var vm = Vm() with { Configuration = null };

        var withRecord = HostedCvmMapper.Map(vm, Record(), Teepod, [KmsA]);
        Assert.Null(withRecord.Hosted.Configuration);
        Assert.Equal(1, withRecord.Vcpu);
        Assert.Equal(1024, withRecord.Memory);
        Assert.Equal(20, withRecord.DiskSize);
        Assert.Null(withRecord.KmsInfo); // kms_enabled is unknown without the compose

        var bare = HostedCvmMapper.Map(vm, null, Teepod, [KmsA]);
        Assert.Null(bare.Vcpu);
        Assert.Null(bare.Memory);
        Assert.Null(bare.DiskSize);
        Assert.Equal("web", bare.Name);
    }

    [Fact]
    public void Kms_info_is_the_configured_kms_matching_the_vms_kms_urls()
    {
        // KmsB's url differs in case and by a trailing slash from the VM's.
        Assert.Same(KmsB, HostedCvmMapper.Map(Vm(), null, Teepod, [KmsA, KmsB]).KmsInfo);
        Assert.Same(KmsA, HostedCvmMapper.Map(Vm(kmsUrls: ["https://kms-a.example:8000/"]), null, Teepod, [KmsB, KmsA]).KmsInfo);
    }

    [Fact]
    public void Kms_info_falls_back_to_the_first_configured_kms()
    {
        Assert.Same(KmsA, HostedCvmMapper.Map(Vm(kmsUrls: ["https://other:8000"]), null, Teepod, [KmsA, KmsB]).KmsInfo);
        Assert.Same(KmsA, HostedCvmMapper.Map(Vm(kmsUrls: []), null, Teepod, [KmsA, KmsB]).KmsInfo);
        Assert.Null(HostedCvmMapper.Map(Vm(), null, Teepod, []).KmsInfo);
    }

    [Theory]
    [InlineData("""{"name":"web","kms_enabled":false}""")]
    [InlineData("""{"name":"web"}""")]
    [InlineData("""{"name":"web","kms_enabled":"true"}""")]
    [InlineData("")]
    [InlineData("not json")]
    public void Kms_info_is_null_when_kms_is_not_enabled(string compose)
    {
        Assert.Null(HostedCvmMapper.Map(Vm(compose), null, Teepod, [KmsA, KmsB]).KmsInfo);
    }

    [Fact]
    public void An_empty_compose_maps_to_null_and_a_broken_one_keeps_its_raw_text()
    {
        Assert.Null(HostedCvmMapper.Map(Vm(""), null, Teepod, []).Hosted.Configuration!.ComposeFile);

        const string broken = """{"name":"web","kms_enabled":true,"docker_compose_file":"serv""";
        var r = HostedCvmMapper.Map(Vm(broken), null, Teepod, [KmsA]);
        Assert.Equal("web", r.Hosted.Configuration!.ComposeFile!.Name);
        Assert.Equal(broken, r.Hosted.Configuration.ComposeFile.Raw);
        Assert.Same(KmsA, r.KmsInfo); // what was read before the break still counts
    }

    [Fact]
    public void Gpus_map_to_slots_without_product_ids()
    {
        var gpus = new GpuConfig { Gpus = [new GpuSpec { Slot = "18:00.0" }, new GpuSpec { Slot = "2a:00.0" }], AttachMode = "listed" };

        var c = HostedCvmMapper.Map(Vm(gpus: gpus), null, Teepod, []).Hosted.Configuration!;

        Assert.Equal([new HostedGpu(null, "18:00.0"), new HostedGpu(null, "2a:00.0")], c.Gpus);
    }

    [Fact]
    public void Gpus_attached_as_all_without_a_list_map_to_an_empty_list()
    {
        var gpus = new GpuConfig { Gpus = [], AttachMode = "all" };
        Assert.Empty(HostedCvmMapper.Map(Vm(gpus: gpus), null, Teepod, []).Hosted.Configuration!.Gpus);
    }

    // ---- wire format -------------------------------------------------------------------------------------------

    /// <summary>The example response of GET /api/v1/teepods/{teepod_id}/cvms from the Phala Cloud API docs.</summary>
    private const string SeedExample = """
        [{
          "hosted": {
            "id": "text", "name": "text", "status": "text", "uptime": "text", "app_url": "text", "app_id": "text",
            "instance_id": "text",
            "configuration": {
              "name": "text", "image": "text",
              "compose_file": {
                "allowed_envs": ["text"], "bash_script": "text", "docker_compose_file": "text", "kms_enabled": true,
                "local_key_provider_enabled": false, "manifest_version": 2, "name": "text", "no_instance_id": false,
                "pre_launch_script": "text", "public_logs": true, "public_sysinfo": true, "runner": "docker-compose",
                "gateway_enabled": true, "features": ["text"], "salt": "text", "tproxy_enabled": true
              },
              "vcpu": 1, "memory": 1, "disk_size": 1,
              "ports": [{"protocol": "text", "host_port": 1, "vm_port": 1, "host_address": "text"}],
              "encrypted_env": "text", "app_id": "text", "user_config": "text", "hugepages": false, "pin_numa": false,
              "gpus": [{"product_id": "text", "slot": "text"}],
              "kms_urls": ["text"], "gateway_urls": ["text"]
            },
            "exited_at": "text", "boot_progress": "text", "boot_error": "text", "shutdown_progress": "text",
            "image_version": "text"
          },
          "name": "text",
          "managed_user": {"id": 1, "username": "text"},
          "node": {"id": 1, "name": "text", "region_identifier": "text"},
          "listed": false, "status": "text", "in_progress": false, "dapp_dashboard_url": "text", "syslog_endpoint": "text",
          "allow_upgrade": false, "project_id": "usr_K8fJ3pQm", "project_type": "text", "billing_period": "text",
          "kms_info": {"id": "usr_K8fJ3pQm", "url": "text", "version": "text", "chain_id": 1,
                       "kms_contract_address": "text", "gateway_app_id": "text"},
          "contract_address": "text", "deployer_address": "text", "vcpu": 1, "memory": 1, "disk_size": 1
        }]
        """;

    private static JsonElement Serialize(params HostedCvmResponse[] items) =>
        JsonDocument.Parse(JsonSerializer.Serialize(items.ToList(), HostedCvmTestJsonContext.Default.ListHostedCvmResponse))
            .RootElement.Clone();

    /// <summary>Object path (e.g. <c>[].hosted.configuration.ports[]</c>) → its keys in order; array elements merged.</summary>
    private static Dictionary<string, List<string>> KeysByObject(JsonElement root)
    {
        var result = new Dictionary<string, List<string>>();
        Walk(root, "");
        return result;

        void Walk(JsonElement e, string path)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    var keys = result.TryGetValue(path, out var existing) ? existing : result[path] = [];
                    foreach (var p in e.EnumerateObject())
                    {
                        if (!keys.Contains(p.Name)) keys.Add(p.Name);
                        Walk(p.Value, path + "." + p.Name);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Walk(item, path + "[]");
                    break;
            }
        }
    }

    [Fact]
    public void The_serialized_response_has_every_key_of_the_contract_in_its_order()
    {
        var gpus = new GpuConfig { Gpus = [new GpuSpec { Slot = "18:00.0" }] };
        var json = Serialize(HostedCvmMapper.Map(Vm(gpus: gpus), Record(), Teepod, [KmsA]));

        var expected = KeysByObject(JsonDocument.Parse(SeedExample).RootElement);
        var actual = KeysByObject(json);

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (path, keys) in expected)
        {
            // Same keys in the same order; the only extra key is KmsInfo's slug, which the SDK's KmsInfo requires.
            var extra = actual[path].Except(keys).ToList();
            Assert.Equal(path == "[].kms_info" ? ["slug"] : Array.Empty<string>(), extra);
            Assert.Equal(keys, actual[path].Where(keys.Contains).ToList());
        }
        Assert.False(json[0].GetProperty("hosted").GetProperty("configuration").GetProperty("compose_file").TryGetProperty("raw", out _));
    }

    [Fact]
    public void Nulls_are_written_not_dropped()
    {
        var vm = Vm("""{"name":"web","kms_enabled":false}""") with { AppUrl = null, InstanceId = null, ExitedAt = null };
        var item = Serialize(HostedCvmMapper.Map(vm, null, new TeepodRecord { Id = 1, Name = "n" }, []))[0];

        foreach (var key in new[]
                 {
                     "managed_user", "dapp_dashboard_url", "syslog_endpoint", "project_id", "project_type", "billing_period",
                     "kms_info", "contract_address", "deployer_address",
                 })
        {
            Assert.Equal(JsonValueKind.Null, item.GetProperty(key).ValueKind);
        }
        Assert.Equal(JsonValueKind.Null, item.GetProperty("node").GetProperty("region_identifier").ValueKind);
        var hosted = item.GetProperty("hosted");
        Assert.Equal(JsonValueKind.Null, hosted.GetProperty("app_url").ValueKind);
        Assert.Equal(JsonValueKind.Null, hosted.GetProperty("instance_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, hosted.GetProperty("exited_at").ValueKind);
        var compose = hosted.GetProperty("configuration").GetProperty("compose_file");
        Assert.Equal(16, compose.EnumerateObject().Count()); // the 16 contract keys, no raw
        Assert.Equal(JsonValueKind.Null, compose.GetProperty("salt").ValueKind);
        Assert.Equal(JsonValueKind.Null, compose.GetProperty("manifest_version").ValueKind);
        Assert.False(compose.GetProperty("kms_enabled").GetBoolean());
    }

    [Fact]
    public void A_brief_vm_serializes_configuration_as_null()
    {
        var item = Serialize(HostedCvmMapper.Map(Vm() with { Configuration = null }, null, Teepod, []))[0];

        Assert.Equal(JsonValueKind.Null, item.GetProperty("hosted").GetProperty("configuration").ValueKind);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("vcpu").ValueKind);
    }

    [Fact]
    public void Raw_is_written_only_for_a_broken_compose()
    {
        const string broken = """{"name":"web","runner":"docker-com""";
        var json = Serialize(
            HostedCvmMapper.Map(Vm(broken), null, Teepod, []),
            HostedCvmMapper.Map(Vm("[1,2]"), null, Teepod, []),
            HostedCvmMapper.Map(Vm(), null, Teepod, []));

        JsonElement Compose(int i) => json[i].GetProperty("hosted").GetProperty("configuration").GetProperty("compose_file");

        Assert.Equal(broken, Compose(0).GetProperty("raw").GetString());
        Assert.Equal("web", Compose(0).GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, Compose(0).GetProperty("runner").ValueKind);
        Assert.Equal("[1,2]", Compose(1).GetProperty("raw").GetString());
        Assert.Equal(JsonValueKind.Null, Compose(1).GetProperty("name").ValueKind);
        Assert.False(Compose(2).TryGetProperty("raw", out _));
    }
}

/// <summary>The same options as the app's AppJsonContext, for the wire-format tests.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<HostedCvmResponse>))]
internal sealed partial class HostedCvmTestJsonContext : JsonSerializerContext;
