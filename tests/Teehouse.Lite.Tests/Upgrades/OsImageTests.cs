using System.Net;
using System.Text.Json;

namespace Teehouse.Lite.Tests.Upgrades;

/// <summary>GET /cvms/{id}/available-os-images and PATCH /cvms/{id}/os-image (the SDK's getAvailableOsImages, updateOsImage).</summary>
public sealed class OsImageTests : SimulatedTeepodTest
{
    private async Task<(string VmUuid, long Id)> DeployAsync()
    {
        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body("""
            {"name": "imaged", "instance_type": "tdx.small", "image": "dstack-0.5.5", "compose_file": {"docker_compose_file": "services: {}"}}
            """), Ct));
        var committed = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}"}
            """), Ct));
        return (committed.GetProperty("vm_uuid").GetString()!, committed.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task The_teepods_images_are_offered_per_version_with_the_current_one_marked()
    {
        var (uuid, _) = await DeployAsync();
        var images = await Json.ReadAsync(await _user.GetAsync($"/api/v1/cvms/{uuid}/available-os-images", Ct));
        var only = Assert.Single(images.EnumerateArray());
        Assert.Equal([0, 5, 5], only.GetProperty("version").EnumerateArray().Select(n => n.GetInt32()));
        Assert.Equal("dstack-0.5.5", only.GetProperty("prod").GetProperty("name").GetString());
        Assert.True(only.GetProperty("prod").GetProperty("is_current").GetBoolean());
        Assert.Equal("dstack-dev-0.5.5", only.GetProperty("dev").GetProperty("name").GetString());
        Assert.False(only.GetProperty("dev").GetProperty("is_current").GetBoolean());
        Assert.Equal(JsonValueKind.Null, only.GetProperty("dev").GetProperty("os_image_hash").ValueKind);

        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        await Json.AssertDetailAsync(await eve.GetAsync($"/api/v1/cvms/{uuid}/available-os-images", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Changing_the_image_of_a_running_cvm_stops_updates_and_starts_it()
    {
        var (uuid, _) = await DeployAsync();
        var changed = await _user.PatchAsync($"/api/v1/cvms/{uuid}/os-image", Json.Body("""{"os_image_name": "dstack-dev-0.5.5"}"""), Ct);
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Empty(await changed.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("dstack-dev-0.5.5", _sim.State.GetVm(uuid)!.Image);
        for (var i = 0; i < 100 && _sim.State.GetVm(uuid)!.Status != "running"; i++) await Task.Delay(100, Ct);
        Assert.Equal("running", _sim.State.GetVm(uuid)!.Status);

        await Json.AssertValidationAsync(await _user.PatchAsync($"/api/v1/cvms/{uuid}/os-image", Json.Body("""{"os_image_name": "dstack-9.9.9"}"""), Ct));
        await Json.AssertValidationAsync(await _user.PatchAsync($"/api/v1/cvms/{uuid}/os-image", Json.Body("{}"), Ct));
        using var eve = _app.Client(await _app.CreateTokenAsync("eve"));
        await Json.AssertDetailAsync(await eve.PatchAsync($"/api/v1/cvms/{uuid}/os-image",
            Json.Body("""{"os_image_name": "dstack-0.5.5"}"""), Ct), HttpStatusCode.NotFound);
    }
}
