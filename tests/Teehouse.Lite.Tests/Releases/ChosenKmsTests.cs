using System.Net;
using System.Text.Json;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Releases;

/// <summary>
/// A deploy that names a KMS other than the teepod's own: the env key comes from that KMS and the guest is told to
/// ask that KMS (CreateVm kms_urls), so the CVM can open its env. A vmm without per-VM kms_urls (before 0.5.2) is 409.
/// </summary>
public sealed class ChosenKmsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Compose = "services:\n  web:\n    image: nginx:1.27\n";

    [Theory]
    [InlineData("0.5.5", true)]
    [InlineData("0.5.11", true)]
    [InlineData("0.4.2", false)]
    public async Task A_named_kms_other_than_the_hosts_keys_the_env_and_is_given_to_the_guest(string version, bool supported)
    {
        await using var host = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, VmmVersion = version });
        await using var other = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, Seed = 777 }); // another KMS, other keys
        var hostKms = host.KmsUrl.ToString().TrimEnd('/');
        var otherKms = other.KmsUrl.ToString().TrimEnd('/');
        await using var app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600;
            c.Kms.Add(new() { Id = "host-kms", Url = hostKms, Version = "0.5.5" });
            c.Kms.Add(new() { Id = "other-kms", Url = otherKms, Version = "0.5.5" });
            c.Tiers["PRO"] = new() { MaxInstances = 10, MaxVcpu = 16 };
        });
        using var admin = await app.AdminClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{host.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct)).StatusCode);
        using var user = app.Client(await app.CreateTokenAsync("dana"), apiKeyHeader: true);
        await new UserStore(app.Db).SetCreditsAsync("dana", 50m);
        await new UserStore(app.Db).SetTierAsync("dana", "PRO");

        var provision = await user.PostAsync("/api/v1/cvms/provision", Json.Body($$"""
            {"name": "chosen-kms", "instance_type": "tdx.small", "kms_id": "other-kms",
             "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(Compose)}}", "name": "chosen-kms", "kms_enabled": true} }
            """), Ct);
        if (!supported)
        {
            var detail = await Json.AssertDetailAsync(provision, HttpStatusCode.Conflict);
            Assert.Contains("0.5.2 or newer", detail);
            Assert.DoesNotContain("127.0.0.1", detail); // a user learns no internal address
            return;
        }
        Assert.Equal(HttpStatusCode.OK, provision.StatusCode);
        var body = await Json.ReadAsync(provision);
        var appId = body.GetProperty("app_id").GetString()!;
        var pubkey = Convert.FromHexString(body.GetProperty("app_env_encrypt_pubkey").GetString()!);
        Assert.Equal(other.State.GetEnvEncryptPublicKey(appId), pubkey);
        Assert.NotEqual(host.State.GetEnvEncryptPublicKey(appId), pubkey);
        Assert.Equal("other-kms", body.GetProperty("kms_id").GetString());

        var env = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, """{"env":[{"key":"SECRET","value":"s3"}]}"""));
        var committed = await user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{appId}}", "compose_hash": "{{body.GetProperty("compose_hash").GetString()}}", "encrypted_env": "{{env}}"}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        var vm = host.State.GetVm((await Json.ReadAsync(committed)).GetProperty("vm_uuid").GetString()!)!;
        Assert.Equal([otherKms], vm.KmsUrls);
        Assert.True(other.State.TryDecryptEnv(appId, vm.EncryptedEnv, out var plain));
        Assert.Contains("s3", plain);
        Assert.False(host.State.TryDecryptEnv(appId, vm.EncryptedEnv, out _));
    }
}
