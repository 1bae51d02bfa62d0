using System.Net;

namespace Teehouse.Lite.Tests.Integrity;

/// <summary>
/// A VM the operator runs on a teepod but never imported has an identity too: no user may deploy under its app id
/// (the KMS would hand them its keys, the gateway its routes).
/// </summary>
public sealed class UnimportedAppTests : SimulatedTeepodTest
{
    [Fact]
    public async Task A_user_cannot_take_the_app_id_of_a_vm_nobody_imported_but_an_admin_can()
    {
        var appId = new string('c', 40);
        _sim.State.AddVm(new Teehouse.Lite.Simulator.Vms.VmSpec
        {
            Name = "operators-app", AppId = appId, Vcpu = 1, Memory = 1024,
            ComposeFile = """{"docker_compose_file": "services: {}", "manifest_version": 2, "name": "operators-app", "runner": "docker-compose"}""",
        });
        var vms = _sim.State.VmCount;
        var body = Json.Body($$$"""
            {"name": "borrowed", "app_id": "0x{{{appId.ToUpperInvariant()}}}", "instance_type": "tdx.small", "compose_file": {"docker_compose_file": "services: {}"}}
            """);

        var refused = await _user.PostAsync("/api/v1/cvms/provision", body, Ct);
        Assert.Contains("belongs to another user", await Json.AssertDetailAsync(refused, HttpStatusCode.Forbidden));
        Assert.Equal(vms, _sim.State.VmCount);

        // An app id nobody runs is free to take.
        var free = await _user.PostAsync("/api/v1/cvms/provision", Json.Body($$$"""
            {"name": "own-id", "app_id": "{{{new string('d', 40)}}}", "instance_type": "tdx.small", "compose_file": {"docker_compose_file": "services: {}"}}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, free.StatusCode);

        using var admin = await _app.AdminClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/cvms/provision", Json.Body($$$"""
            {"name": "operators-too", "app_id": "{{{appId}}}", "instance_type": "tdx.small", "compose_file": {"docker_compose_file": "services: {}"}}
            """), Ct)).StatusCode);
    }
}
