using System.Net;
using System.Text.Json;

namespace Teehouse.Lite.Tests.Catalog;

/// <summary>/instance-types, /os-images and the synthetic workspace, against the simulator.</summary>
public sealed class CatalogTests : SimulatedTeepodTest
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, HttpClient? client = null)
    {
        var response = await (client ?? _user).GetAsync(path, Ct);
        return (response.StatusCode, await Json.ReadAsync(response));
    }

    [Fact]
    public async Task Instance_types_are_listed_by_family_in_the_sdks_strict_envelopes()
    {
        var (status, all) = await GetAsync("/api/v1/instance-types");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["result"], all.EnumerateObject().Select(p => p.Name));
        var family = Assert.Single(all.GetProperty("result").EnumerateArray());
        Assert.Equal("tdx", family.GetProperty("name").GetString());
        Assert.Equal(5, family.GetProperty("total").GetInt32());
        var small = family.GetProperty("items")[0];
        Assert.Equal("tdx.small", small.GetProperty("id").GetString());
        Assert.Equal(1, small.GetProperty("vcpu").GetInt32());
        Assert.Equal(2048, small.GetProperty("memory_mb").GetInt32());
        Assert.Equal(JsonValueKind.String, small.GetProperty("hourly_rate").ValueKind);

        var (one, tdx) = await GetAsync("/api/v1/instance-types/tdx");
        Assert.Equal(HttpStatusCode.OK, one);
        Assert.Equal(["items", "total", "family"], tdx.EnumerateObject().Select(p => p.Name));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/api/v1/instance-types/gpu")).Status);
    }

    [Fact]
    public async Task Os_images_come_from_the_teepods_with_a_null_hash()
    {
        var (status, page) = await GetAsync("/api/v1/os-images");
        Assert.Equal(HttpStatusCode.OK, status);
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(items);
        Assert.Equal(items.Count, page.GetProperty("total").GetInt32());
        var image = items[0];
        Assert.Equal(image.GetProperty("name").GetString(), image.GetProperty("slug").GetString());
        Assert.Equal(JsonValueKind.Null, image.GetProperty("os_image_hash").ValueKind);
        Assert.False(string.IsNullOrEmpty(image.GetProperty("version").GetString()));

        var (_, one) = await GetAsync("/api/v1/os-images?page_size=1");
        Assert.Single(one.GetProperty("items").EnumerateArray());
        Assert.Equal(items.Count, one.GetProperty("pages").GetInt32());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await GetAsync("/api/v1/os-images?page=0")).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await GetAsync("/api/v1/os-images?is_dev=maybe")).Status);
    }

    [Fact]
    public async Task The_workspace_is_the_one_auth_me_names()
    {
        var (_, me) = await GetAsync("/api/v1/auth/me");
        var slug = me.GetProperty("workspace").GetProperty("slug").GetString()!;
        var (status, list) = await GetAsync("/api/v1/workspaces");
        Assert.Equal(HttpStatusCode.OK, status);
        var ws = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(slug, ws.GetProperty("slug").GetString());
        Assert.Equal(me.GetProperty("workspace").GetProperty("id").GetString(), ws.GetProperty("id").GetString());
        Assert.True(ws.GetProperty("is_default").GetBoolean());
        Assert.False(list.GetProperty("pagination").GetProperty("has_more").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/api/v1/workspaces/{slug}")).Status);
        var (missing, body) = await GetAsync("/api/v1/workspaces/someone-else");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.True(body.TryGetProperty("detail", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/api/v1/workspaces/someone-else/quotas")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/api/v1/workspaces/someone-else/nodes")).Status);
    }

    [Fact]
    public async Task Quotas_are_the_tier_limits_minus_what_the_user_runs()
    {
        var (_, me) = await GetAsync("/api/v1/auth/me");
        var slug = me.GetProperty("workspace").GetProperty("slug").GetString()!;
        var (status, q) = await GetAsync($"/api/v1/workspaces/{slug}/quotas");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("PRO", q.GetProperty("tier").GetString());
        Assert.Equal(slug, q.GetProperty("team_slug").GetString());
        var quotas = q.GetProperty("quotas");
        Assert.Equal(10, quotas.GetProperty("vm_slots").GetProperty("limit").GetInt32());
        Assert.Equal(10, quotas.GetProperty("vm_slots").GetProperty("remaining").GetInt32());
        Assert.Equal(16, quotas.GetProperty("vcpu").GetProperty("limit").GetInt32());
        Assert.Equal(-1, quotas.GetProperty("memory_mb").GetProperty("limit").GetInt32()); // not limited by PRO here
        Assert.Equal(0, q.GetProperty("reserved_gpu").GetProperty("in_use").GetInt32());

        var provision = await Json.ReadAsync(await _user.PostAsync("/api/v1/cvms/provision", Json.Body("""
            {"name": "quota-app", "instance_type": "tdx.medium",
             "compose_file": {"docker_compose_file": "services:\n  web:\n    image: nginx\n", "name": "quota-app"} }
            """), Ct));
        var committed = await _user.PostAsync("/api/v1/cvms", Json.Body($$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}"}
            """), Ct);
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        var (_, after) = await GetAsync($"/api/v1/workspaces/{slug}/quotas");
        Assert.Equal(9, after.GetProperty("quotas").GetProperty("vm_slots").GetProperty("remaining").GetInt32());
        Assert.Equal(14, after.GetProperty("quotas").GetProperty("vcpu").GetProperty("remaining").GetInt32());
    }

    [Fact]
    public async Task Nodes_are_the_teepods_the_caller_may_use()
    {
        var (_, me) = await GetAsync("/api/v1/auth/me");
        var slug = me.GetProperty("workspace").GetProperty("slug").GetString()!;
        var (status, nodes) = await GetAsync($"/api/v1/workspaces/{slug}/nodes");
        Assert.Equal(HttpStatusCode.OK, status);
        var node = Assert.Single(nodes.GetProperty("items").EnumerateArray());
        Assert.Equal("node", node.GetProperty("object_type").GetString());
        Assert.Equal(_teepodId, node.GetProperty("id").GetInt64());
        Assert.Equal("tdx-1", node.GetProperty("name").GetString());
        Assert.Equal(1, nodes.GetProperty("total").GetInt32());

        using var admin = await _app.AdminClientAsync();
        var unlisted = await admin.PutAsync($"/api/v1/teepods/{_teepodId}", Json.Body("""{"listed": false}"""), Ct);
        Assert.True(unlisted.IsSuccessStatusCode);
        var (_, hidden) = await GetAsync($"/api/v1/workspaces/{slug}/nodes");
        Assert.Empty(hidden.GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await GetAsync($"/api/v1/workspaces/{slug}/nodes?page_size=x")).Status);
    }
}
