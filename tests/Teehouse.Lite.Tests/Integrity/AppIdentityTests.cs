using System.Net;
using System.Text.Json;
using Dapper;

namespace Teehouse.Lite.Tests.Integrity;

/// <summary>
/// An app id is an identity: another user cannot deploy under it (provision, commit or new instance), and every new
/// app gets its own id even for the same compose (a random salt in each new app-compose).
/// </summary>
public sealed class AppIdentityTests : IntegrityStage
{
    // ---- borrowed app identity ------------------------------------------------------------------------------------

    [Fact]
    public async Task Another_user_cannot_provision_with_an_app_id_that_belongs_to_someone_else()
    {
        using var alice = await UserAsync("alice");
        using var bob = await UserAsync("bobby");
        var appId = (await DeployAsync(alice, "alice-app")).GetProperty("app_id").GetString()!;
        var vmsBefore = SimVms().Count;

        var borrowed = await SendProvisionAsync(bob, ProvisionBody("bobby-app", bodyExtra: $", \"app_id\": \"{appId}\""));
        Assert.True(borrowed.Status == HttpStatusCode.Forbidden, $"B provisioning with A's app_id: expected 403, got {borrowed}");
        Assert.Contains("another user", borrowed.Detail, StringComparison.OrdinalIgnoreCase);

        // 0x-prefixed and upper-case spellings of the same id are the same app.
        var spelled = await SendProvisionAsync(bob, ProvisionBody("bobby-app", bodyExtra: $", \"app_id\": \"0x{appId.ToUpperInvariant()}\""));
        Assert.True(spelled.Status == HttpStatusCode.Forbidden, $"B provisioning with 0x+upper-case A's app_id: expected 403, got {spelled}");

        Assert.Equal(vmsBefore, SimVms().Count);
        Assert.Single(SimVmsOfApp(appId));
        await using var c = await _app.Db.OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM pending_operations p JOIN users u ON u.id = p.user_id WHERE p.kind = 'deploy' AND u.username = 'bobby' AND p.app_id = @appId", new { appId }));
    }

    [Fact]
    public async Task A_provision_under_someone_elses_app_id_cannot_be_committed()
    {
        using var alice = await UserAsync("alice");
        using var bob = await UserAsync("bobby");
        var appId = (await DeployAsync(alice, "alice-app")).GetProperty("app_id").GetString()!;

        // "Somehow": B holds a provision row for A's app id (written straight into the table, as a provision that slipped
        // past an older check or a race would be). Its commit must still be refused, with nothing created.
        var own = await ProvisionAsync(bob, "bobby-app");
        await using (var c = await _app.Db.OpenAsync())
            Assert.Equal(1, await c.ExecuteAsync(
                """
                UPDATE pending_operations SET app_id = @appId, lookup_key = user_id || ':' || @appId || ':' || compose_hash
                WHERE kind = 'deploy' AND app_id = @own AND user_id = (SELECT id FROM users WHERE username = 'bobby')
                """,
                new { appId, own = own.GetProperty("app_id").GetString() }));
        var vmsBefore = SimVms().Count;

        var commit = await CommitBodyAsync(bob, $$"""
            {"app_id": "{{appId}}", "compose_hash": "{{own.GetProperty("compose_hash").GetString()}}"}
            """);
        Assert.True(commit.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound,
            $"B committing a provision under A's app_id: expected 403 (or 404), got {commit}");
        Assert.Equal(vmsBefore, SimVms().Count);
        Assert.Single(SimVmsOfApp(appId));
        Assert.Empty(await LiveCvmsAsync(bob));
    }

    [Fact]
    public async Task Another_users_new_instance_of_an_app_is_404_prepared_or_not()
    {
        using var alice = await UserAsync("alice");
        using var bob = await UserAsync("bobby");
        var appId = (await DeployAsync(alice, "alice-app")).GetProperty("app_id").GetString()!;
        var vmsBefore = SimVms().Count;

        var direct = await InstanceAsync(bob, appId);
        Assert.True(direct.Status == HttpStatusCode.NotFound, $"B adding an instance of A's app: expected 404, got {direct}");
        var prepared = await InstanceAsync(bob, appId, prepareOnly: true);
        Assert.True(prepared.Status == HttpStatusCode.NotFound, $"B preparing an instance of A's app: expected 404, got {prepared}");
        // Not confirming that the app exists: the answer is the one for an app id nobody has.
        var nobody = await InstanceAsync(bob, new string('e', 40));
        Assert.Equal(nobody.Detail.Replace(new string('e', 40), "<id>"), direct.Detail.Replace(appId, "<id>"));

        Assert.Equal(vmsBefore, SimVms().Count);
        Assert.Empty(await LiveCvmsAsync(bob));
    }

    [Fact]
    public async Task An_admin_may_provision_and_commit_under_a_users_app_id()
    {
        using var alice = await UserAsync("alice");
        using var admin = await AdminAsync();
        var appId = (await DeployAsync(alice, "alice-app")).GetProperty("app_id").GetString()!;

        var provision = await SendProvisionAsync(admin, ProvisionBody("admin-app", bodyExtra: $", \"app_id\": \"{appId}\""));
        Assert.True(provision.Status == HttpStatusCode.OK, $"admin provisioning with A's app_id: expected 200, got {provision}");
        Assert.Equal(appId, provision.Json.GetProperty("app_id").GetString());
        var commit = await CommitAsync(admin, provision.Json);
        Assert.True(commit.Status == HttpStatusCode.OK, $"admin commit under A's app_id: expected 200, got {commit}");
        Assert.Equal(2, SimVmsOfApp(appId).Count);
    }

    // ---- same compose, different identity ------------------------------------------------------------------------

    [Fact]
    public async Task Two_users_provisioning_the_same_compose_get_different_app_ids()
    {
        using var alice = await UserAsync("alice");
        using var bob = await UserAsync("bobby");
        var a = await ProvisionAsync(alice, "same-app");
        var b = await ProvisionAsync(bob, "same-app");
        Assert.NotEqual(a.GetProperty("app_id").GetString(), b.GetProperty("app_id").GetString());
        Assert.NotEqual(a.GetProperty("compose_hash").GetString(), b.GetProperty("compose_hash").GetString());
    }

    [Fact]
    public async Task One_user_provisioning_the_same_compose_twice_gets_two_app_ids()
    {
        using var alice = await UserAsync("alice");
        var first = await ProvisionAsync(alice, "same-app");
        var second = await ProvisionAsync(alice, "same-app");
        Assert.NotEqual(first.GetProperty("app_id").GetString(), second.GetProperty("app_id").GetString());
        Assert.NotEqual(first.GetProperty("compose_hash").GetString(), second.GetProperty("compose_hash").GetString());

        // Both are real, separate provisions: each commits to its own VM under its own app id.
        var one = await CommitAsync(alice, first);
        var two = await CommitAsync(alice, second);
        Assert.True(one.Status == HttpStatusCode.OK, $"first commit: {one}");
        Assert.True(two.Status == HttpStatusCode.OK, $"second commit: {two}");
        Assert.Single(SimVmsOfApp(first.GetProperty("app_id").GetString()!));
        Assert.Single(SimVmsOfApp(second.GetProperty("app_id").GetString()!));
    }

    [Fact]
    public async Task The_booted_app_compose_carries_a_salt_and_its_sha256_is_the_provisioned_hash()
    {
        using var alice = await UserAsync("alice");
        var p = await ProvisionAsync(alice, "salted-app");
        var vm = await CommitAsync(alice, p);
        Assert.True(vm.Status == HttpStatusCode.OK, $"commit: {vm}");
        var simVm = Assert.Single(SimVmsOfApp(p.GetProperty("app_id").GetString()!));

        Assert.Equal(p.GetProperty("compose_hash").GetString(), Sha256(simVm.ComposeFile));
        using var compose = JsonDocument.Parse(simVm.ComposeFile);
        Assert.True(compose.RootElement.TryGetProperty("salt", out var salt), $"the app-compose the VM boots has no salt: {simVm.ComposeFile}");
        Assert.Equal(JsonValueKind.String, salt.ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(salt.GetString()), "the salt is empty");
    }

    [Fact]
    public async Task A_client_sent_salt_is_kept_as_sent()
    {
        using var alice = await UserAsync("alice");
        const string mine = "my-own-salt-0123456789abcdef";
        var p = await ProvisionAsync(alice, "salted-app", composeExtra: $", \"salt\": \"{mine}\"");
        Assert.True((await CommitAsync(alice, p)).Status == HttpStatusCode.OK);
        var simVm = Assert.Single(SimVmsOfApp(p.GetProperty("app_id").GetString()!));
        Assert.Equal(p.GetProperty("compose_hash").GetString(), Sha256(simVm.ComposeFile));
        using var compose = JsonDocument.Parse(simVm.ComposeFile);
        Assert.Equal(mine, compose.RootElement.GetProperty("salt").GetString());
    }
}
