using Teehouse.Lite.Shared;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Kms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class CvmMapperTests
{
    private static readonly string App = new('a', 40);
    private static readonly string Instance = new('1', 40);

    private static CvmRow Row() => new()
    {
        Id = 7, HashedId = "0123456789abcdef", TeepodId = 2, TeepodName = "tdx-2", VmUuid = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        AppId = App, Name = "web", Status = "running", Uptime = "1h", Image = "dstack-dev-0.5.5", ImageVersion = "0.5.5", Vcpu = 2,
        Memory = 3072, DiskSize = 40, UserId = 5, Username = "Alice", CreatedAt = "2026-01-01T00:00:00.000Z",
        UpdatedAt = "2026-01-02T00:00:00.000Z", TeepodImagesJson = "[]", GatewayBaseDomain = "gw.example",
    };

    [Fact]
    public void The_2026_item_comes_from_the_row_alone()
    {
        var info = CvmMapper.ToV20260121(Row());
        Assert.Equal("0123456789abcdef", info.Id);
        Assert.Equal(3.0, info.Resource.MemoryInGb);
        Assert.Equal(40, info.Resource.DiskInGb);
        Assert.Null(info.Resource.Gpus);
        Assert.True(info.Os!.IsDev);
        Assert.Equal("node", info.NodeInfo!.ObjectType);
        Assert.Null(info.Endpoints);
        Assert.Null(info.KmsType);
        Assert.Equal("ws-5", info.Workspace!.Id);
        Assert.Equal("alice", info.Workspace.Slug);

        var json = JsonSerializer.Serialize(info, CvmsJson.Default.CvmInfoV20260121);
        using var doc = JsonDocument.Parse(json);
        Assert.False(doc.RootElement.TryGetProperty("public_logs", out _));
        Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("services").ValueKind);
    }

    [Fact]
    public void The_live_view_wins_and_brings_the_compose()
    {
        var compose = """{"manifest_version":2,"name":"web","runner":"docker-compose","docker_compose_file":"x","kms_enabled":true,"public_logs":true,"gateway_enabled":false}""";
        var vm = new VmInfo
        {
            Id = Row().VmUuid, Status = "stopped", InstanceId = Instance, AppId = App,
            Configuration = new VmConfiguration { Image = "dstack-0.5.6", Vcpu = 4, Memory = 2048, DiskSize = 80, ComposeFile = compose },
        };
        var kms = new List<KmsInfo> { new("local", null, "http://kms", "0.5.5", null, null, null), new("base", null, "http://base", "0.5.5", 8453, "0xabc", null) };
        var detail = CvmMapper.ToDetailV20260121(Row(), vm, kms);
        Assert.Equal("stopped", detail.Status);
        Assert.Equal(Instance, detail.InstanceId);
        Assert.Equal(4, detail.Resource.Vcpu);
        Assert.Equal("dstack-0.5.6", detail.Os!.Name);
        Assert.False(detail.Os.IsDev);
        Assert.Equal(0, detail.Resource.Gpus);
        Assert.Equal("phala", detail.KmsType);
        Assert.True(detail.PublicLogs);
        Assert.False(detail.GatewayEnabled);
        Assert.Equal(AppComposeParser.ComposeHash(compose), detail.ComposeHash);
        Assert.Equal(JsonValueKind.Object, detail.ComposeFile!.Value.ValueKind);
        Assert.Empty(detail.Endpoints!);

        var json = JsonSerializer.Serialize(detail, CvmsJson.Default.CvmInfoDetailV20260121);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("x", doc.RootElement.GetProperty("compose_file").GetProperty("docker_compose_file").GetString());
        Assert.Equal("0123456789abcdef", doc.RootElement.GetProperty("id").GetString());

        var vmSchema = CvmMapper.ToVm(Row(), vm);
        Assert.Equal("x", vmSchema.DockerComposeFile);
        Assert.Equal(2, vmSchema.ManifestVersion);
        Assert.Equal(2048, vmSchema.Memory);

        var legacy = CvmMapper.ToDetailV20251028(Row(), vm, kms);
        Assert.Equal("local", legacy.KmsInfo!.Id);
        Assert.True(legacy.PublicLogs);
        Assert.Equal(80, legacy.DiskSize);
    }

    [Fact]
    public void Without_the_vmm_the_detail_shows_the_row_and_a_null_compose()
    {
        var detail = CvmMapper.ToDetailV20260121(Row(), null, []);
        Assert.Null(detail.ComposeFile);
        var json = JsonSerializer.Serialize(detail, CvmsJson.Default.CvmInfoDetailV20260121);
        Assert.Contains("\"compose_file\":null", json);
        var legacy = CvmMapper.ToDetailV20251028(new CvmRow { AppId = App, Name = "x", Status = "running", CreatedAt = "", UpdatedAt = "" }, null, []);
        Assert.Equal(0, legacy.Vcpu);
        Assert.Null(legacy.MachineInfo);
    }

    [Fact]
    public void The_compose_element_is_an_object_the_raw_text_or_null()
    {
        Assert.Null(CvmMapper.ComposeElement(null));
        Assert.Null(CvmMapper.ComposeElement(""));
        Assert.Equal(JsonValueKind.Object, CvmMapper.ComposeElement("""{"a":1}""")!.Value.ValueKind);
        Assert.Equal("{\"a\":", CvmMapper.ComposeElement("{\"a\":")!.Value.GetString());
        Assert.Equal("[1]", CvmMapper.ComposeElement("[1]")!.Value.GetString());
    }

    [Fact]
    public void Endpoints_put_the_app_id_where_dstacks_app_url_has_the_instance()
    {
        var urls = CvmMapper.Endpoints(App, $"https://{Instance}-8090.gw.example:8443", Instance);
        var url = Assert.Single(urls);
        Assert.Equal($"https://{App}-8090.gw.example:8443", url.App);
        Assert.Equal($"https://{Instance}-8090.gw.example:8443", url.Instance);
        Assert.Empty(CvmMapper.Endpoints(App, null, Instance));
        Assert.Empty(CvmMapper.Endpoints(App, "https://x", null));
    }

    [Theory]
    [InlineData(null, "phala")]
    [InlineData(1L, "ethereum")]
    [InlineData(8453L, "base")]
    [InlineData(31337L, "ethereum")]
    public void Kms_type_by_chain(long? chain, string expected) => Assert.Equal(expected, CvmMapper.KmsType(chain));

    [Fact]
    public void The_state_leaves_out_what_is_unknown()
    {
        var state = CvmMapper.ToState(Row(), new VmInfo { Id = "u", Status = "running", Uptime = "5s" });
        var json = JsonSerializer.Serialize(state, CvmsJson.Default.CvmStateResponse);
        using var doc = JsonDocument.Parse(json);
        Assert.False(doc.RootElement.TryGetProperty("instance_id", out _));
        Assert.False(doc.RootElement.TryGetProperty("exited_at", out _));
        Assert.Equal("web", doc.RootElement.GetProperty("name").GetString());
    }
}

public sealed class ComposeFileViewTests
{
    private static JsonElement Render(string text) => JsonDocument.Parse(ComposeFileView.TryRender(text)!).RootElement.Clone();

    [Fact]
    public void Keeps_every_key_as_dstack_stored_it()
    {
        var text = """{"manifest_version":2,"name":"a","runner":"docker-compose","docker_compose_file":"services: {}","custom":{"x":[1,2]},"salt":null}""";
        var view = Render(text);
        Assert.Equal("services: {}", view.GetProperty("docker_compose_file").GetString());
        Assert.Equal(2, view.GetProperty("custom").GetProperty("x").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("salt").ValueKind);
        Assert.Equal(6, view.EnumerateObject().Count());
    }

    [Fact]
    public void Repairs_what_the_sdk_schema_would_reject()
    {
        var view = Render("""{"runner":"bash","pre_launch_script":null,"features":null,"bash_script":"echo"}""");
        Assert.Equal("", view.GetProperty("docker_compose_file").GetString());
        Assert.False(view.TryGetProperty("pre_launch_script", out _));
        Assert.False(view.TryGetProperty("features", out _));
        Assert.Equal("echo", view.GetProperty("bash_script").GetString());
        Assert.Equal("", Render("""{"docker_compose_file":7}""").GetProperty("docker_compose_file").GetString());
    }

    [Fact]
    public void Is_null_for_a_text_that_is_not_a_json_object()
    {
        Assert.Null(ComposeFileView.TryRender(null));
        Assert.Null(ComposeFileView.TryRender("{\"a\":"));
        Assert.Null(ComposeFileView.TryRender("[1]"));
        Assert.NotNull(ComposeFileView.TryRender(Encoding.UTF8.GetString("{}"u8)));
    }
}

public sealed class RestartPlanTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("running", 1, RestartStep.Wait)]
    [InlineData("stopping", 59, RestartStep.Wait)]
    [InlineData("running", 60, RestartStep.ForceStopThenStart)]
    [InlineData("stopping", 600, RestartStep.ForceStopThenStart)]
    [InlineData("stopped", 1, RestartStep.Start)]
    [InlineData("exited", 1, RestartStep.Start)]
    [InlineData("removing", 1, RestartStep.Abandon)]
    [InlineData(null, 1, RestartStep.Abandon)]
    public void Next_step(string? status, int seconds, RestartStep expected) =>
        Assert.Equal(expected, RestartPlan.Next(status, TimeSpan.FromSeconds(seconds), Grace));
}
