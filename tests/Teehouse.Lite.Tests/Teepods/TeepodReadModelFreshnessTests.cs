using System.Net;
using System.Text.Json;
using Dapper;
using Teehouse.Lite.Cli;
using Teehouse.Lite.Fleet;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Teepods;

/// <summary>
/// The teepod answers are served from what was built when the table last changed; these show that a change, made
/// through the API, by the pinger or by another connection behind the server's back, is in the very next answer, and
/// that what is kept per role never lets a user see an admin's answer.
/// </summary>
public sealed class TeepodReadModelFreshnessTests : TeepodAnswersStage
{
    private static readonly string[] AdminOnlyKeys = ["endpoint", "kms_url", "tproxy_url", "auth_scheme"];

    private HttpClient Uma => _users["uma"];

    private async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    private async Task<List<string?>> ListedNamesAsync(HttpClient client) =>
        [.. (await GetAsync(client, "/api/v1/teepods")).EnumerateArray().Select(t => t.GetProperty("name").GetString())];

    private async Task<List<string?>> OfferedNamesAsync(HttpClient client) =>
        [.. (await GetAsync(client, "/api/v1/teepods/available")).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString())];

    /// <summary>Asks every teepod answer once, so that whatever is kept for them is kept before the change under test.</summary>
    private async Task WarmAsync()
    {
        foreach (var client in new[] { _admin, Uma })
        {
            await ListedNamesAsync(client);
            await OfferedNamesAsync(client);
        }
        for (var id = 1; id <= 6; id++) await GetAsync(_admin, $"/api/v1/teepods/{id}");
    }

    /// <summary>A write on a connection of its own, as the `teehouse` CLI or an operator's sqlite3 would make it.</summary>
    private async Task WriteBehindTheServersBackAsync(string sql, object? parameters = null)
    {
        var outside = new Db(_app.Config.Database.Path, busyTimeoutMs: 5000);
        await using var c = await outside.OpenAsync(Ct);
        await c.ExecuteAsync(sql, parameters);
    }

    [Fact]
    public async Task A_rename_by_another_connection_shows_in_every_answer_on_the_next_request()
    {
        await WarmAsync();
        await WriteBehindTheServersBackAsync("UPDATE teepods SET name = 'renamed-outside' WHERE id = 2");

        Assert.Contains("renamed-outside", await ListedNamesAsync(_admin));
        Assert.Contains("renamed-outside", await ListedNamesAsync(Uma));
        Assert.Equal("renamed-outside", (await GetAsync(_admin, "/api/v1/teepods/2")).GetProperty("name").GetString());
        Assert.Contains("renamed-outside", await OfferedNamesAsync(_admin));
        Assert.Contains("renamed-outside", await OfferedNamesAsync(Uma));
    }

    [Fact]
    public async Task A_teepod_deleted_or_taken_offline_behind_the_servers_back_is_gone_at_once()
    {
        await WarmAsync();
        await WriteBehindTheServersBackAsync("DELETE FROM teepods WHERE id = 6");
        await WriteBehindTheServersBackAsync("UPDATE teepods SET status = 'offline' WHERE id = 2");

        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/v1/teepods/6", Ct)).StatusCode);
        Assert.DoesNotContain("tdx-6", await ListedNamesAsync(_admin));
        Assert.Equal(["tdx-1"], await OfferedNamesAsync(Uma));
        Assert.Equal(["tdx-1", "tdx-3"], await OfferedNamesAsync(_admin));
    }

    [Fact]
    public async Task The_cli_changing_a_users_credits_or_tier_shows_on_their_next_available()
    {
        var bo = _users["bo"];
        Assert.Empty(await OfferedNamesAsync(bo));
        var config = _app.Dir.File("cli.toml");
        await File.WriteAllTextAsync(config, $"[database]\npath = \"{_app.Config.Database.Path}\"\n[log]\nfile = \"\"\n[tiers.PRO]\nmax_vcpu = 16\n", Ct);

        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("user", "set-credits", "bo", "5", "--config", config)).ExitCode);
        Assert.Equal(["tdx-1", "tdx-2", "tdx-6"], await OfferedNamesAsync(bo));

        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("user", "set-tier", "bo", "PRO", "--config", config)).ExitCode);
        var pro = await GetAsync(bo, "/api/v1/teepods/available");
        Assert.Equal("PRO", pro.GetProperty("tier").GetString());
        Assert.Equal(16, pro.GetProperty("capacity").GetProperty("max_vcpu").GetInt32());

        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("user", "set-credits", "bo", "0", "--config", config)).ExitCode);
        Assert.Empty(await OfferedNamesAsync(bo));
    }

    [Fact]
    public async Task A_ping_shows_its_new_usage_on_the_next_available()
    {
        await WarmAsync();
        JsonElement Node(JsonElement available) => available.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("teepod_id").GetInt64() == 1);
        var before = Node(await GetAsync(Uma, "/api/v1/teepods/available"));

        _sim.State.AddVm(new VmSpec { Name = "out-of-band", Vcpu = 3, Memory = 3072, ComposeFile = """{"manifest_version":2,"name":"oob","runner":"docker-compose"}""" });
        var pinger = (TeepodPinger)_app.App.Services.GetService(typeof(TeepodPinger))!;
        Assert.True(await pinger.PingAsync((await new TeepodStore(_app.Db).FindAsync(1))!, Ct));

        var after = Node(await GetAsync(Uma, "/api/v1/teepods/available"));
        Assert.Equal(before.GetProperty("remaining_vcpu").GetInt64() - 3, after.GetProperty("remaining_vcpu").GetInt64());
        Assert.Equal(before.GetProperty("remaining_memory").GetInt64() - 3072, after.GetProperty("remaining_memory").GetInt64());
        Assert.Equal(before.GetProperty("remaining_cvm_slots").GetInt64() - 1, after.GetProperty("remaining_cvm_slots").GetInt64());
        Assert.NotEqual(FixedTime, (await GetAsync(_admin, "/api/v1/teepods/1")).GetProperty("last_ping_at").GetString());
        // The ping changed no certificate: the answer still describes the one stored.
        Assert.Equal("Golden KMS CA", (await GetAsync(_admin, "/api/v1/teepods/1")).GetProperty("kms_ca_cert").GetProperty("subject").GetProperty("common_name").GetString());
    }

    [Fact]
    public async Task Registering_updating_and_disabling_a_teepod_show_at_once()
    {
        await WarmAsync();
        await using var other = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 0 });
        var registered = await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-7", "endpoint": "{{other.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var answer = await registered.Content.ReadAsStringAsync(Ct);
        var id = JsonDocument.Parse(answer).RootElement.GetProperty("id").GetInt64();
        Assert.Equal(answer, await _admin.GetStringAsync($"/api/v1/teepods/{id}", Ct));
        Assert.Contains("tdx-7", await ListedNamesAsync(Uma));
        Assert.Contains("tdx-7", await OfferedNamesAsync(Uma));
        Assert.Equal("tdx-7", (await GetAsync(_admin, $"/api/v1/teepods/{id}")).GetProperty("name").GetString());

        var updated = await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"name": "tdx-seven", "listed": false}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(Teehouse.Lite.Infrastructure.Http.JsonBytes.ContentType, updated.Content.Headers.ContentType?.ToString());
        Assert.Equal(await updated.Content.ReadAsStringAsync(Ct), await _admin.GetStringAsync($"/api/v1/teepods/{id}", Ct));
        Assert.Equal("tdx-seven", (await GetAsync(_admin, $"/api/v1/teepods/{id}")).GetProperty("name").GetString());
        Assert.DoesNotContain("tdx-seven", await OfferedNamesAsync(Uma));
        Assert.Contains("tdx-seven", await OfferedNamesAsync(_admin));

        Assert.Equal(HttpStatusCode.OK, (await _admin.PutAsync($"/api/v1/teepods/{id}", Json.Body("""{"enabled": false}"""), Ct)).StatusCode);
        Assert.DoesNotContain("tdx-seven", await ListedNamesAsync(Uma));
        Assert.DoesNotContain("tdx-seven", await OfferedNamesAsync(_admin));
        var all = (await GetAsync(_admin, "/api/v1/teepods")).EnumerateArray().ToList();
        Assert.False(all.Single(t => t.GetProperty("id").GetInt64() == id).GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task A_user_never_sees_what_only_admins_see_whoever_asked_first()
    {
        void AssertUsersView(JsonElement list)
        {
            Assert.NotEqual(0, list.GetArrayLength());
            foreach (var teepod in list.EnumerateArray())
            {
                foreach (var key in AdminOnlyKeys) Assert.Equal(JsonValueKind.Null, teepod.GetProperty(key).ValueKind);
                var text = teepod.GetRawText();
                // The CA certificate's own SANs are shown to everyone; the hosts' addresses to no user.
                Assert.DoesNotContain("http", text);
                Assert.DoesNotContain(":9080", text);
                Assert.DoesNotContain("10.0.0.9", text);
                Assert.DoesNotContain("unix:", text);
            }
        }

        // Admin first: the user's answer is not the admin's, however recently that was built.
        await WarmAsync();
        AssertUsersView(await GetAsync(Uma, "/api/v1/teepods"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Uma.GetAsync("/api/v1/teepods/1", Ct)).StatusCode);

        // User first after a change, then the admin: each gets their own.
        await WriteBehindTheServersBackAsync("UPDATE teepods SET last_error = 'teepod ''tdx-2'' (http://10.0.0.2:9080) is unreachable' WHERE id = 2");
        var users = await GetAsync(Uma, "/api/v1/teepods");
        AssertUsersView(users);
        Assert.Equal("teepod 'tdx-2' is unreachable", users.EnumerateArray().Single(t => t.GetProperty("id").GetInt64() == 2).GetProperty("last_error").GetString());
        var admins = (await GetAsync(_admin, "/api/v1/teepods")).EnumerateArray().ToList();
        Assert.Equal("teepod 'tdx-2' (http://10.0.0.2:9080) is unreachable", admins.Single(t => t.GetProperty("id").GetInt64() == 2).GetProperty("last_error").GetString());
        Assert.Equal("basic", admins.Single(t => t.GetProperty("id").GetInt64() == 2).GetProperty("auth_scheme").GetString());
        AssertUsersView(await GetAsync(Uma, "/api/v1/teepods"));
    }

    [Fact]
    public async Task A_read_after_a_write_sees_it_while_other_readers_keep_rebuilding()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        async Task ReadUntilStopped(HttpClient client, string path)
        {
            while (!stop.IsCancellationRequested)
            {
                try { using var _ = await client.GetAsync(path, stop.Token); }
                catch (OperationCanceledException) { }
            }
        }
        var readers = new[]
        {
            ReadUntilStopped(_admin, "/api/v1/teepods"), ReadUntilStopped(Uma, "/api/v1/teepods/available"),
            ReadUntilStopped(_admin, "/api/v1/teepods/3"),
        };
        try
        {
            for (var i = 0; i < 25; i++)
            {
                var name = $"race-{i}";
                await WriteBehindTheServersBackAsync("UPDATE teepods SET name = @name, used_vcpu = @i WHERE id = 2", new { name, i });
                Assert.Equal(name, (await GetAsync(_admin, "/api/v1/teepods/2")).GetProperty("name").GetString());
                Assert.Contains(name, await ListedNamesAsync(Uma));
                var node = (await GetAsync(Uma, "/api/v1/teepods/available")).GetProperty("nodes").EnumerateArray()
                    .Single(n => n.GetProperty("teepod_id").GetInt64() == 2);
                Assert.Equal(64 - i, node.GetProperty("remaining_vcpu").GetInt64());
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }
    }
}
