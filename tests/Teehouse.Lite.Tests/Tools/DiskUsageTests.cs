using System.Net;
using System.Text.Json;
using Teehouse.Lite.Cli;

namespace Teehouse.Lite.Tests.Tools;

/// <summary>The admin's CVM detail carries qemu-img's view of the VM's disk on a local teepod; nobody else's does.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DiskUsageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(string Id, string VmUuid)> ImportedCvmAsync(LocalHostStage stage, HttpClient admin)
    {
        (await stage.App.UserClientAsync("alice")).Dispose(); // the owner must exist
        var imported = await stage.ImportAsync("alice");
        Assert.True(imported.ExitCode == ExitCodes.Ok, imported.Err);
        var item = (await LocalHostStage.GetJsonAsync(admin, "/api/v1/cvms/paginated")).GetProperty("items").EnumerateArray().First();
        return (item.GetProperty("id").GetString()!, item.GetProperty("vm_uuid").GetString()!);
    }

    [Fact]
    public async Task The_admin_detail_shows_qemu_img_info_of_the_vm_disk_and_a_user_never_sees_it()
    {
        using var runsDir = new TempDir();
        var runs = runsDir.File("runs.txt");
        await using var stage = await LocalHostStage.StartAsync(t => t.Add("qemu-img", $$"""
            echo "$@" >> {{runs}}
            echo '{"virtual-size": 21474836480, "filename": "hda.img", "cluster-size": 65536, "format": "qcow2", "actual-size": 1638400, "dirty-flag": false}'
            """));
        using var admin = await stage.App.AdminClientAsync();
        var (id, vmUuid) = await ImportedCvmAsync(stage, admin);
        using var alice = stage.App.Client(await stage.App.CreateTokenAsync("alice"));

        var detail = await LocalHostStage.GetJsonAsync(admin, $"/api/v1/cvms/{id}");
        var disk = detail.GetProperty("disk_usage");
        Assert.Equal("qcow2", disk.GetProperty("format").GetString());
        Assert.Equal(21474836480, disk.GetProperty("virtual_size_bytes").GetInt64());
        Assert.Equal(1638400, disk.GetProperty("actual_size_bytes").GetInt64());
        // The image's digest, as the pinger read it from this host's image directory, is the CVM's os_image_hash.
        var image = detail.GetProperty("os").GetProperty("name").GetString();
        Assert.Equal(stage.Sim.State.Images.Single(i => i.Name == image).EffectiveDigest,
            detail.GetProperty("os").GetProperty("os_image_hash").GetString());
        var line = Assert.Single(File.ReadAllLines(runs));
        Assert.Equal($"info -U --output=json {Path.Combine(stage.RunPath, vmUuid, "hda.img")}", line);

        // The 2025 shape too; and the minute-long answer is reused, not asked again.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cvms/{id}");
        request.Headers.Add("X-Phala-Version", "2025-10-28");
        var old = await Json.ReadAsync(await admin.SendAsync(request, Ct));
        Assert.Equal(1638400, old.GetProperty("disk_usage").GetProperty("actual_size_bytes").GetInt64());
        Assert.Single(File.ReadAllLines(runs));

        var forOwner = await LocalHostStage.GetJsonAsync(alice, $"/api/v1/cvms/{id}");
        Assert.False(forOwner.TryGetProperty("disk_usage", out _));
        Assert.Equal(id, forOwner.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Without_qemu_img_or_with_a_broken_one_the_detail_still_answers_without_disk_use()
    {
        await using var stage = await LocalHostStage.StartAsync(_ => { });
        using var admin = await stage.App.AdminClientAsync();
        var (id, _) = await ImportedCvmAsync(stage, admin);
        var response = await admin.GetAsync($"/api/v1/cvms/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await Json.ReadAsync(response)).TryGetProperty("disk_usage", out _));

        // A qemu-img that prints something that is not its JSON is no answer either.
        await using var again = await LocalHostStage.StartAsync(t => t.Prints("qemu-img", "{\"format\": \"qcow2\"}"));
        using var admin2 = await again.App.AdminClientAsync();
        var (id2, _) = await ImportedCvmAsync(again, admin2);
        var detail = await LocalHostStage.GetJsonAsync(admin2, $"/api/v1/cvms/{id2}");
        Assert.False(detail.TryGetProperty("disk_usage", out _));
        Assert.Equal(JsonValueKind.String, detail.GetProperty("status").ValueKind);
    }
}
