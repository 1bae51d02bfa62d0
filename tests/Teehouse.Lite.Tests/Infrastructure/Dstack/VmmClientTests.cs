using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>The dstack-vmm client against the simulator over real HTTP.</summary>
public sealed class VmmClientTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VmmClient Vmm => fixture.Vmm;

    [Fact]
    public async Task Version_reports_the_crate_version_and_the_git_revision()
    {
        var version = await Vmm.VersionAsync(Ct);
        Assert.Equal("0.6.0", version.Version);
        Assert.Equal("git:312dc605ebaaf9337253", version.Rev);
        Assert.Equal(fixture.Sim.BaseUrl, Vmm.Endpoint);
    }

    [Fact]
    public async Task GetMeta_reports_kms_gateway_resources_and_networking()
    {
        var meta = await Vmm.GetMetaAsync(Ct);
        Assert.NotNull(meta.Kms);
        Assert.Equal(fixture.Sim.KmsUrl, meta.Kms.Url);
        Assert.Equal([fixture.Sim.KmsUrl], meta.Kms.Urls);
        Assert.NotNull(meta.Gateway);
        Assert.Equal(fixture.Sim.GatewayUrl, meta.Gateway.Url);
        Assert.Equal("localhost", meta.Gateway.BaseDomain);
        Assert.Equal(8082, meta.Gateway.Port);
        Assert.Equal(8090, meta.Gateway.AgentPort);
        Assert.NotNull(meta.Resources);
        Assert.Equal(1000, meta.Resources.MaxCvmNumber);
        Assert.Equal(20, meta.Resources.MaxAllocableVcpu);
        Assert.Equal(100_000, meta.Resources.MaxAllocableMemoryInMb);
        Assert.NotNull(meta.Networking);
        Assert.Contains("user", meta.Networking.SupportedModes);
        Assert.Equal("user", meta.Networking.DefaultMode);
    }

    [Fact]
    public async Task ListImages_returns_the_host_images_with_their_metadata()
    {
        var images = await Vmm.ListImagesAsync(Ct);
        Assert.Equal(["dstack-0.5.5", "dstack-dev-0.5.5"], images.Select(i => i.Name).Order(StringComparer.Ordinal));
        var dev = images.Single(i => i.Name == "dstack-dev-0.5.5");
        Assert.True(dev.IsDev);
        Assert.Equal("0.5.5", dev.Version);
        Assert.False(images.Single(i => i.Name == "dstack-0.5.5").IsDev);
        using var metadata = JsonDocument.Parse(dev.Description);
        Assert.Equal("0.5.5", metadata.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task ListGpus_on_a_host_without_gpus()
    {
        var gpus = await Vmm.ListGpusAsync(Ct);
        Assert.Empty(gpus.Gpus);
        Assert.True(gpus.AllowAttachAll);
    }

    [Fact]
    public async Task Status_filters_by_id_reports_the_total_and_honours_brief()
    {
        // Other tests in this class share the simulator and remove VMs asynchronously: wait until none is mid-removal,
        // so the totals compared below describe the same set of VMs.
        var all = await Vmm.StatusAsync(new VmmStatusRequest(), Ct);
        for (var i = 0; i < 50 && all.Vms.Any(vm => vm.Status == "removing"); i++)
        {
            await Task.Delay(100, Ct);
            all = await Vmm.StatusAsync(new VmmStatusRequest(), Ct);
        }
        Assert.DoesNotContain(all.Vms, vm => vm.Status == "removing");
        Assert.True(all.Vms.Count >= 5);
        Assert.Equal(all.Vms.Count, all.Total);
        Assert.All(all.Vms, vm => Assert.NotNull(vm.Configuration));
        Assert.All(all.Vms, vm => Assert.Matches("^[0-9a-f]{40}$", vm.AppId));

        var target = all.Vms[2];
        var one = await Vmm.StatusAsync(new VmmStatusRequest { Ids = [target.Id] }, Ct);
        Assert.Equal(target.Id, Assert.Single(one.Vms).Id);
        Assert.Equal(1, one.Total);
        Assert.Equal(target.Name, one.Vms[0].Name);
        Assert.Equal(target.Configuration!.Image, one.Vms[0].Configuration!.Image);

        var brief = await Vmm.StatusAsync(new VmmStatusRequest { Brief = true, Page = 1, PageSize = 2 }, Ct);
        Assert.Equal(2, brief.Vms.Count);
        Assert.Equal(all.Total, brief.Total);
        Assert.All(brief.Vms, vm => Assert.Null(vm.Configuration));

        var none = await Vmm.StatusAsync(new VmmStatusRequest { Ids = ["00000000-0000-4000-8000-000000000000"] }, Ct);
        Assert.Empty(none.Vms);
        Assert.Equal(0, none.Total);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_vm_goes_through_create_stop_start_and_remove()
    {
        var ct = TestContext.Current.CancellationToken;
        var config = TestCompose.Config("lifecycle-test") with { Vcpu = 2, Memory = 2048, DiskSize = 30, UserConfig = "{\"ssh\":true}" };
        var id = await Vmm.CreateVmAsync(config, ct);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);

        var created = await Vmm.GetInfoAsync(id, ct);
        Assert.NotNull(created);
        Assert.Equal(id, created.Id);
        Assert.Equal("lifecycle-test", created.Name);
        Assert.Equal("running", created.Status);
        Assert.Equal("0.5.5", created.ImageVersion);
        Assert.Equal(Sha256Hex(config.ComposeFile)[..40], created.AppId);
        Assert.NotNull(created.Configuration);
        Assert.Equal(2, created.Configuration.Vcpu);
        Assert.Equal(2048, created.Configuration.Memory);
        Assert.Equal(30, created.Configuration.DiskSize);
        Assert.Equal(config.ComposeFile, created.Configuration.ComposeFile);
        Assert.Equal("{\"ssh\":true}", created.Configuration.UserConfig);
        Assert.False(created.Configuration.Stopped);
        Assert.NotEmpty(created.Interfaces);

        await Vmm.StopVmAsync(id, ct);
        Assert.Equal("stopped", (await Vmm.GetInfoAsync(id, ct))!.Status);
        await Vmm.StopVmAsync(id, ct); // idempotent

        await Vmm.StartVmAsync(id, ct);
        var restarted = await Vmm.GetInfoAsync(id, ct);
        Assert.Equal("running", restarted!.Status);

        await Vmm.RemoveVmAsync(id, ct);
        var removing = await Vmm.GetInfoAsync(id, ct);
        Assert.True(removing is null || removing.Status == "removing", removing?.Status);
        await WaitUntilAsync(async () => await Vmm.GetInfoAsync(id, ct) is null, ct);
        Assert.DoesNotContain(id, (await Vmm.StatusAsync(new VmmStatusRequest(), ct)).Vms.Select(v => v.Id));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_vm_created_stopped_can_be_shut_down_after_start()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await Vmm.CreateVmAsync(TestCompose.Config("shutdown-test", stopped: true), ct);
        var info = await Vmm.GetInfoAsync(id, ct);
        Assert.Equal("stopped", info!.Status);
        Assert.True(info.Configuration!.Stopped);

        await Vmm.StartVmAsync(id, ct);
        await Vmm.ShutdownVmAsync(id, ct);
        await WaitUntilAsync(async () => (await Vmm.GetInfoAsync(id, ct))!.Status == "stopped", ct);
        await Vmm.RemoveVmAsync(id, ct);
    }

    [Fact]
    public async Task GetInfo_of_an_unknown_vm_is_null()
    {
        Assert.Null(await Vmm.GetInfoAsync("00000000-0000-4000-8000-000000000000", Ct));
        Assert.Null(await Vmm.GetInfoAsync("not a valid id!", Ct));
    }

    [Fact]
    public async Task The_vmm_error_text_surfaces_as_RemoteMessage()
    {
        var unknown = "00000000-0000-4000-8000-000000000000";
        var remove = await Assert.ThrowsAsync<DstackException>(() => Vmm.RemoveVmAsync(unknown, Ct));
        Assert.Equal(DstackFailure.RemoteError, remove.Failure);
        Assert.Equal(502, ErrorHandling.StatusFor(remove));
        Assert.Equal(400, remove.HttpStatus);
        Assert.Equal("RemoveVm", remove.Method);
        Assert.Equal("Failed to remove VM: VM not found", remove.RemoteMessage);
        Assert.Equal($"teepod {fixture.Sim.BaseUrl}: RemoveVm failed: Failed to remove VM: VM not found", remove.FullDetail);

        var shutdown = await Assert.ThrowsAsync<DstackException>(() => Vmm.ShutdownVmAsync(unknown, Ct));
        Assert.Equal("vm not found", shutdown.RemoteMessage);

        var start = await Assert.ThrowsAsync<DstackException>(() => Vmm.StartVmAsync(unknown, Ct));
        Assert.StartsWith("Failed to start VM: Failed to read manifest", start.RemoteMessage);

        var badName = await Assert.ThrowsAsync<DstackException>(
            () => Vmm.CreateVmAsync(TestCompose.Config("bad/name"), Ct));
        Assert.Equal(DstackFailure.RemoteError, badName.Failure);
        Assert.Equal("Invalid name: bad/name", badName.RemoteMessage);

        var badImage = await Assert.ThrowsAsync<DstackException>(
            () => Vmm.CreateVmAsync(TestCompose.Config("no-image") with { Image = "dstack-9.9.9" }, Ct));
        Assert.StartsWith("Failed to load VM: Failed to load image", badImage.RemoteMessage);
    }

    [Fact]
    public async Task GetComposeHash_is_the_sha256_of_the_exact_compose_text()
    {
        var config = TestCompose.Config("hash-test");
        Assert.Equal(Sha256Hex(config.ComposeFile), await Vmm.GetComposeHashAsync(config, Ct));

        var invalid = await Assert.ThrowsAsync<DstackException>(
            () => Vmm.GetComposeHashAsync(config with { ComposeFile = "{\"name\":\"x\"}" }, Ct));
        Assert.StartsWith("Invalid compose file", invalid.RemoteMessage);
    }

    [Fact(Timeout = 30_000)]
    public async Task UpdateVm_returns_the_new_app_id_only_when_the_compose_changes()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await Vmm.CreateVmAsync(TestCompose.Config("update-test", stopped: true), ct);
        var newCompose = TestCompose.For("update-test-v2");

        Assert.Equal(Sha256Hex(newCompose)[..40], await Vmm.UpdateVmAsync(new UpdateVmRequest { Id = id, ComposeFile = newCompose }, ct));
        Assert.Equal("", await Vmm.UpdateVmAsync(new UpdateVmRequest { Id = id, Vcpu = 3, Memory = 3072, UserConfig = "v2" }, ct));

        var info = await Vmm.GetInfoAsync(id, ct);
        Assert.Equal(3, info!.Configuration!.Vcpu);
        Assert.Equal(3072, info.Configuration.Memory);
        Assert.Equal(20, info.Configuration.DiskSize); // left out of the request, so unchanged
        Assert.Equal(newCompose, info.Configuration.ComposeFile);
        Assert.Equal("v2", info.Configuration.UserConfig);

        await Vmm.StartVmAsync(id, ct);
        var resize = await Assert.ThrowsAsync<DstackException>(() => Vmm.UpdateVmAsync(new UpdateVmRequest { Id = id, Vcpu = 4 }, ct));
        Assert.Equal($"vm should be stopped before resize: {id}", resize.RemoteMessage);
        await Vmm.RemoveVmAsync(id, ct);
    }

    [Fact]
    public async Task The_vmm_proxies_the_kms_env_encryption_key()
    {
        const string appId = "0123456789abcdef0123456789abcdef01234567";
        var viaVmm = await Vmm.GetAppEnvEncryptPubKeyAsync(appId, Ct);
        var viaKms = await fixture.Factory.Kms(fixture.Sim.KmsUrl).GetAppEnvEncryptPubKeyAsync("0x" + appId.ToUpperInvariant(), Ct);

        Assert.Matches("^[0-9a-f]{64}$", viaVmm.PublicKey);
        Assert.Matches("^[0-9a-f]{130}$", viaVmm.Signature);
        Assert.Matches("^[0-9a-f]{130}$", viaVmm.SignatureV1);
        Assert.InRange(viaVmm.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds());
        Assert.Equal(viaKms.PublicKey, viaVmm.PublicKey);
        Assert.Equal(viaKms.Signature, viaVmm.Signature);

        var other = await Vmm.GetAppEnvEncryptPubKeyAsync("1123456789abcdef0123456789abcdef01234567", Ct);
        Assert.NotEqual(viaVmm.PublicKey, other.PublicKey);

        // The KMS refuses a short app id; the vmm relays that refusal inside its own error.
        var direct = await Assert.ThrowsAsync<DstackException>(
            () => fixture.Factory.Kms(fixture.Sim.KmsUrl).GetAppEnvEncryptPubKeyAsync("abcd", Ct));
        Assert.Equal("app_id must be 20 bytes", direct.RemoteMessage);
        Assert.StartsWith($"KMS {fixture.Sim.KmsUrl}: GetAppEnvEncryptPubKey failed: ", direct.FullDetail);
        var proxied = await Assert.ThrowsAsync<DstackException>(() => Vmm.GetAppEnvEncryptPubKeyAsync("abcd", Ct));
        Assert.Equal(DstackFailure.RemoteError, proxied.Failure);
        Assert.Contains("app_id must be 20 bytes", proxied.RemoteMessage);
    }

    [Fact]
    public async Task Kms_GetMeta_returns_the_ca_certificate_and_the_signing_key()
    {
        var kms = fixture.Factory.Kms(fixture.Sim.KmsUrl);
        Assert.Equal(fixture.Sim.KmsUrl, kms.Url);
        var meta = await kms.GetMetaAsync(Ct);

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", meta.CaCert);
        Assert.Contains("-----END CERTIFICATE-----", meta.CaCert);
        using var cert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(meta.CaCert);
        Assert.NotEmpty(cert.Subject);

        var state = await fixture.Sim.StateAsync();
        Assert.Equal(state.GetProperty("kms_k256_pubkey").GetString(), meta.K256Pubkey);
        Assert.Matches("^0[23][0-9a-f]{64}$", meta.K256Pubkey);
        Assert.True(meta.IsDev);
        Assert.True(meta.AllowAnyUpgrade);
        Assert.Equal("any", meta.GatewayAppId);
        Assert.Null(meta.ChainId);
        Assert.Null(meta.KmsContractAddress);
    }

    [Fact]
    public async Task Gateway_Info_reports_the_base_domain_and_port()
    {
        var gateway = fixture.Factory.Gateway(fixture.Sim.GatewayUrl);
        Assert.Equal(fixture.Sim.GatewayUrl, gateway.Url);
        var info = await gateway.InfoAsync(Ct);
        Assert.Equal("localhost", info.BaseDomain);
        Assert.Equal(8082, info.ExternalPort);
        Assert.Equal("_dstack-app-address", info.AppAddressNsPrefix);
        Assert.Equal("0.6.0", info.Version); // the gateway runs the same release as the vmm it sits next to
    }

    [Fact(Timeout = 30_000)]
    public async Task Logs_stream_the_serial_console_as_text()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await Vmm.CreateVmAsync(TestCompose.Config("logs-test"), ct);

        string text;
        await using (var stream = await Vmm.OpenLogsAsync(id, follow: false, lines: 100, ct: ct))
        {
            using var reader = new StreamReader(stream);
            text = await reader.ReadToEndAsync(ct);
        }

        Assert.Contains("Linux version", text);
        Assert.DoesNotContain("\u001b[", text); // ansi=false

        await using (var followed = await Vmm.OpenLogsAsync(id, follow: true, lines: 1, ct: ct))
        {
            // A followed stream answers the tail at once and stays open; disposing it ends it.
            var buffer = new byte[4096];
            var n = await followed.ReadAsync(buffer, ct);
            Assert.True(n > 0);
        }

        var badChannel = await Assert.ThrowsAsync<DstackException>(() => Vmm.OpenLogsAsync(id, false, 10, "console", ct));
        Assert.Equal(DstackFailure.RemoteError, badChannel.Failure);
        Assert.Equal("Unknown channel console", badChannel.RemoteMessage);
        await Vmm.RemoveVmAsync(id, ct);
    }

    [Fact]
    public async Task Logs_of_an_unknown_vm_fail_with_the_404_reason()
    {
        var e = await Assert.ThrowsAsync<DstackException>(
            () => Vmm.OpenLogsAsync("00000000-0000-4000-8000-000000000000", follow: false, lines: 10, ct: Ct));
        Assert.Equal(502, ErrorHandling.StatusFor(e));
        Assert.Equal(404, e.HttpStatus);
        Assert.Equal("Logs", e.Method);
        Assert.Equal("VM not found", e.RemoteMessage);
        Assert.Contains("VM not found", e.FullDetail);
        Assert.Contains("404", e.FullDetail);
    }

    internal static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(50, ct);
        }
    }
}
