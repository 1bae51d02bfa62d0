using System.Net;
using System.Text.Json;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// The env-encryption key of a KMS CVM is in every CVM answer (what `phala envs update` and `deploy --cvm-id` read),
/// learnt once and read back from the database: a list never asks a KMS.
/// </summary>
public sealed class EnvKeyTests : SimulatedTeepodTest
{
    private const string Compose = "services:\n  web:\n    image: nginx\n";

    [Fact]
    public async Task A_deployed_kms_cvm_carries_its_key_in_lists_and_details_of_both_schemas()
    {
        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$$"""
            {"name": "keyed", "instance_type": "tdx.small", "compose_file": {"docker_compose_file": "{{{JsonEncodedText.Encode(Compose)}}}"}}
            """), Ct));
        var key = provision.GetProperty("app_env_encrypt_pubkey").GetString()!;
        var env = Convert.ToHexStringLower(SimulatorState.EncryptEnv(Convert.FromHexString(key), """{"env":[]}"""));
        var vm = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}", "encrypted_env": "{{env}}"}
            """), Ct));
        Assert.Equal(key, vm.GetProperty("encrypted_env_pubkey").GetString());
        var keyCalls = _sim.State.CallCount("GetAppEnvEncryptPubKey");

        var page = await Json.ReadAsync(await _user.GetAsync("/api/v1/cvms/paginated", Ct));
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(key, item.GetProperty("kms_info").GetProperty("encrypted_env_pubkey").GetString());

        using var v2025 = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{vm.GetProperty("vm_uuid").GetString()}");
        v2025.Headers.Add("X-Phala-Version", "2025-10-28");
        var detail = await Json.ReadAsync(await _user.SendAsync(v2025, Ct));
        Assert.Equal(key, detail.GetProperty("encrypted_env_pubkey").GetString());
        var v2026 = await Json.ReadAsync(await _user.GetAsync($"/api/v1/cvms/{item.GetProperty("id").GetString()}", Ct));
        Assert.Equal(key, v2026.GetProperty("kms_info").GetProperty("encrypted_env_pubkey").GetString());
        Assert.Equal(keyCalls, _sim.State.CallCount("GetAppEnvEncryptPubKey")); // known since provision: never asked again
    }

    [Fact]
    public async Task An_imported_kms_cvm_learns_its_key_on_the_first_detail_read_and_lists_read_it_back()
    {
        var uuid = _sim.State.AddVm(new Teehouse.Lite.Simulator.Vms.VmSpec
        {
            Name = "imported", Vcpu = 1, Memory = 2048,
            ComposeFile = """{"docker_compose_file": "services: {}", "kms_enabled": true, "manifest_version": 2, "name": "imported", "runner": "docker-compose"}""",
        });
        var config = _app.Dir.File("cli.toml");
        File.WriteAllText(config, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n");
        Assert.Equal(0, (await CliRunner.RunAsync("import", "--teepod", _teepodId.ToString(), "--owner", "dana", "--config", config)).ExitCode);

        var before = Assert.Single((await Json.ReadAsync(await _user.GetAsync("/api/v1/cvms/paginated", Ct))).GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("kms_info").GetProperty("encrypted_env_pubkey").ValueKind);

        var detail = await Json.ReadAsync(await _user.GetAsync($"/api/v1/cvms/{uuid}", Ct));
        var key = detail.GetProperty("kms_info").GetProperty("encrypted_env_pubkey").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", key);
        var calls = _sim.State.CallCount("GetAppEnvEncryptPubKey");
        for (var i = 0; i < 3; i++)
        {
            var item = Assert.Single((await Json.ReadAsync(await _user.GetAsync("/api/v1/cvms/paginated", Ct))).GetProperty("items").EnumerateArray());
            Assert.Equal(key, item.GetProperty("kms_info").GetProperty("encrypted_env_pubkey").GetString());
        }
        Assert.Equal(calls, _sim.State.CallCount("GetAppEnvEncryptPubKey"));
        Assert.Equal(HttpStatusCode.OK, (await _user.GetAsync($"/api/v1/cvms/{uuid}", Ct)).StatusCode);
        Assert.Equal(calls, _sim.State.CallCount("GetAppEnvEncryptPubKey")); // learnt once
    }
}
