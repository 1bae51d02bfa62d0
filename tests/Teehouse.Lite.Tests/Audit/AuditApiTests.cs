using System.Globalization;
using System.Net;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Audit;

/// <summary>
/// What the server records of each request. Every read of the log goes through GET /api/v1/audit, which flushes the
/// background writer's queue first: the tests read right after the request, never with a sleep or a poll.
/// </summary>
public sealed class AuditApiTests : AuditStage
{
    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_mutating_request_is_recorded_with_who_what_target_result_when_and_from_where()
    {
        var before = Clock.NowText();
        var put = await _admin.PutAsync($"/api/v1/teepods/{_teepodId}", Json.Body("""{"listed": false}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var after = Clock.NowText();

        var entry = Assert.Single(await ItemsAsync("target=" + Text(_teepodId)));
        Assert.Equal(_adminId, entry.GetProperty("user_id").GetInt64());
        Assert.Equal("admin", entry.GetProperty("username").GetString());
        Assert.Equal("PUT /api/v1/teepods/{teepod_id}", entry.GetProperty("action").GetString());
        Assert.Equal(Text(_teepodId), entry.GetProperty("target").GetString());
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.Equal("ok", entry.GetProperty("result").GetString());
        Assert.Equal("127.0.0.1", entry.GetProperty("client_address").GetString());
        var at = entry.GetProperty("at").GetString()!;
        Assert.InRange(string.CompareOrdinal(at, before), 0, int.MaxValue);
        Assert.InRange(string.CompareOrdinal(after, at), 0, int.MaxValue);
        Assert.EndsWith("Z", at);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("detail").ValueKind);
    }

    [Fact]
    public async Task A_cvm_action_names_the_route_template_and_the_cvm_and_the_other_ids_go_in_the_detail()
    {
        var vm = await DeployAsync(_user, "audited-app");
        var cvmId = vm.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await _user.PostAsync($"/api/v1/cvms/{cvmId}/stop", null, Ct)).StatusCode);
        var appId = vm.GetProperty("app_id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.PostAsync($"/api/v1/teepods/{_teepodId}/cvms/{appId}/list", null, Ct)).StatusCode);

        // The CVM and the teepod may share a number: the target filter is exact text, not typed.
        var stop = Assert.Single(await ItemsAsync("target=" + Text(cvmId)), e => e.GetProperty("user_id").GetInt64() == _danaId);
        Assert.Equal("POST /api/v1/cvms/{cvm_id}/stop", stop.GetProperty("action").GetString());
        Assert.Equal("dana", stop.GetProperty("username").GetString());
        Assert.Equal(_danaId, stop.GetProperty("user_id").GetInt64());

        var list = (await ItemsAsync("user=admin")).First();
        Assert.Equal("POST /api/v1/teepods/{teepod_id}/cvms/{app_id}/list", list.GetProperty("action").GetString());
        Assert.Equal(Text(_teepodId), list.GetProperty("target").GetString());
        Assert.Equal($"app_id={appId}", list.GetProperty("detail").GetString());

        // The deploy itself: provision and commit, each under its own template and without a target.
        var dana = await ItemsAsync("user=dana");
        Assert.Equal(["POST /api/v1/cvms/{cvm_id}/stop", "POST /api/v1/cvms", "POST /api/v1/cvms/provision"],
            dana.Select(e => e.GetProperty("action").GetString()));
        Assert.All(dana.Skip(1), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("target").ValueKind));
    }

    [Fact]
    public async Task Failing_requests_are_recorded_with_their_status()
    {
        var missing = await _user.PostAsync("/api/v1/cvms/no-such-cvm/restart", Json.Body("{}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var taken = await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "tdx-1", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        var invalid = await _admin.PutAsync($"/api/v1/teepods/{_teepodId}", Json.Body("""{"name": ""}"""), Ct);
        await Json.AssertValidationAsync(invalid);
        var notJson = await _admin.PostAsync("/api/v1/teepods", Json.Body("{not json"), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notJson.StatusCode);

        var entries = await ItemsAsync();
        var restart = entries.Single(e => e.GetProperty("target").GetString() == "no-such-cvm");
        Assert.Equal((404, "error", "POST /api/v1/cvms/{cvm_id}/restart"),
            (restart.GetProperty("status").GetInt32(), restart.GetProperty("result").GetString(), restart.GetProperty("action").GetString()));
        Assert.Equal([422, 422, 409], entries.Where(e => e.GetProperty("username").GetString() == "admin")
            .Take(3).Select(e => e.GetProperty("status").GetInt32()));
        Assert.Equal(Text(_teepodId), entries.First(e => e.GetProperty("action").GetString()!.StartsWith("PUT ", StringComparison.Ordinal))
            .GetProperty("target").GetString());
    }

    [Fact]
    public async Task Reads_are_not_recorded()
    {
        await ItemsAsync(); // flushes what the stage's set-up queued
        var rows = await RowCountAsync();
        foreach (var path in new[] { "/api/v1/teepods", "/api/v1/cvms/paginated", "/api/v1/auth/me", "/api/v1/kms", $"/api/v1/teepods/{_teepodId}", "/healthz", "/api/v1/audit" })
            Assert.True((await _admin.GetAsync(path, Ct)).IsSuccessStatusCode, path);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Client().GetAsync("/api/v1/teepods", Ct)).StatusCode);
        using var head = new HttpRequestMessage(HttpMethod.Head, "/api/v1/teepods");
        await _admin.SendAsync(head, Ct);

        await ItemsAsync();
        Assert.Equal(rows, await RowCountAsync());
    }

    [Fact]
    public async Task Unauthenticated_and_forbidden_mutations_are_recorded_without_the_token_presented()
    {
        const string Guess = "thl_guessedTokenValue0123456789abcdefghijklmnopqr";
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Client().PostAsync("/api/v1/cvms/7/stop", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Client(Guess).DeleteAsync("/api/v1/cvms/8", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await _user.PutAsync($"/api/v1/teepods/{_teepodId}", Json.Body("""{"enabled": false}"""), Ct)).StatusCode);

        var anonymous = await ItemsAsync("user=anonymous");
        Assert.Equal(2, anonymous.Count);
        Assert.All(anonymous, e =>
        {
            Assert.Equal(JsonValueKind.Null, e.GetProperty("user_id").ValueKind);
            Assert.Equal(401, e.GetProperty("status").GetInt32());
        });
        Assert.Equal(("DELETE /api/v1/cvms/{cvm_id}", "8", "token refused"),
            (anonymous[0].GetProperty("action").GetString(), anonymous[0].GetProperty("target").GetString(), anonymous[0].GetProperty("detail").GetString()));
        Assert.Equal(("POST /api/v1/cvms/{cvm_id}/stop", "7", "no token"),
            (anonymous[1].GetProperty("action").GetString(), anonymous[1].GetProperty("target").GetString(), anonymous[1].GetProperty("detail").GetString()));
        var forbidden = (await ItemsAsync("user=dana")).First();
        Assert.Equal((403, "PUT /api/v1/teepods/{teepod_id}"), (forbidden.GetProperty("status").GetInt32(), forbidden.GetProperty("action").GetString()));
        Assert.DoesNotContain(await EveryCellAsync(), cell => cell.Contains(Guess, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_route_is_recorded_by_method_alone_never_by_the_path_sent()
    {
        const string Path = "/api/v1/tokens/thl_secretLookingPathSegment";
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.PostAsync(Path, null, Ct)).StatusCode);
        var entry = (await ItemsAsync("user=admin")).First();
        Assert.Equal(("POST (no route)", 404), (entry.GetProperty("action").GetString(), entry.GetProperty("status").GetInt32()));
        Assert.DoesNotContain(await EveryCellAsync(), cell => cell.Contains("thl_secretLooking", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_audit_log_is_for_admins_only()
    {
        Assert.Equal("This action requires the admin role", await Json.AssertDetailAsync(await _user.GetAsync("/api/v1/audit", Ct), HttpStatusCode.Forbidden));
        await Json.AssertDetailAsync(await _app.Client().GetAsync("/api/v1/audit", Ct), HttpStatusCode.Unauthorized);
        await Json.AssertDetailAsync(await _app.Client("thl_nope").GetAsync("/api/v1/audit", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Each_answer_is_in_the_log_read_right_after_it()
    {
        // No wait between the two: the record is queued before the answer starts, and the read flushes the queue.
        for (var i = 0; i < 25; i++)
        {
            var target = $"order-{i}";
            Assert.Equal(HttpStatusCode.NotFound, (await _user.PostAsync($"/api/v1/cvms/{target}/start", null, Ct)).StatusCode);
            Assert.Equal(target, (await ItemsAsync("page_size=1")).Single().GetProperty("target").GetString());
        }
    }

    [Fact]
    public async Task Concurrent_mutating_requests_are_all_recorded()
    {
        var clients = new[] { _user, _admin, _app.Client() };
        var answers = await AllAtOnceAsync(Enumerable.Range(0, 120).Select(i => (Func<Task<HttpStatusCode>>)(async () =>
        {
            using var response = await clients[i % 3].PostAsync($"/api/v1/cvms/many-{i}/shutdown", null, Ct);
            return response.StatusCode;
        })));
        Assert.All(answers, s => Assert.True(s is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized, s.ToString()));

        var items = await ItemsAsync("page_size=1000");
        var targets = items.Select(e => e.GetProperty("target").GetString()).Where(t => t?.StartsWith("many-", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(120, targets.Count);
        Assert.Equal(120, targets.Distinct().Count());
        Assert.Equal(40, items.Count(e => e.GetProperty("username").GetString() == "anonymous"));
    }
}
