using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace Teehouse.Lite.Tests.Audit;

/// <summary>GET /api/v1/audit's filters and pages, and what a request carrying a secret leaves in the table.</summary>
public sealed class AuditQueryTests : AuditStage
{
    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);

    private async Task MissAsync(HttpClient client, string target) =>
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/v1/cvms/{target}/start", null, Ct)).StatusCode);

    [Fact]
    public async Task Filters_by_user_id_or_name_and_by_target_newest_first()
    {
        foreach (var t in new[] { "t-a", "t-b", "t-c" }) await MissAsync(_user, t);
        await MissAsync(_admin, "t-a");

        var byName = await ItemsAsync("user=dana");
        Assert.Equal(["t-c", "t-b", "t-a"], byName.Select(e => e.GetProperty("target").GetString()));
        var byId = await ItemsAsync("user=" + Text(_danaId));
        Assert.Equal(byName.Select(e => e.GetProperty("id").GetInt64()), byId.Select(e => e.GetProperty("id").GetInt64()));

        var target = await ItemsAsync("target=t-a");
        Assert.Equal(["admin", "dana"], target.Select(e => e.GetProperty("username").GetString()));
        Assert.Single(await ItemsAsync("target=t-a&user=dana"));
        var nobody = await PageAsync("user=nobody-at-all");
        Assert.Equal(0, nobody.GetProperty("total").GetInt64());
        Assert.Equal(0, nobody.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Pages_like_the_other_paged_routes()
    {
        for (var i = 0; i < 5; i++) await MissAsync(_user, $"p-{i}");

        var first = await PageAsync("user=dana&page_size=2");
        Assert.Equal(["items", "total", "page", "page_size", "pages"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal((5, 1, 2, 3), (first.GetProperty("total").GetInt32(), first.GetProperty("page").GetInt32(),
            first.GetProperty("page_size").GetInt32(), first.GetProperty("pages").GetInt32()));
        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
            seen.AddRange((await ItemsAsync($"user=dana&page_size=2&page={page}")).Select(e => e.GetProperty("target").GetString()!));
        Assert.Equal(["p-4", "p-3", "p-2", "p-1", "p-0"], seen);
        Assert.Empty(await ItemsAsync("user=dana&page_size=2&page=4"));
        Assert.Equal(50, (await PageAsync()).GetProperty("page_size").GetInt32());
    }

    [Fact]
    public async Task Since_is_inclusive_until_exclusive_and_both_take_iso_8601()
    {
        for (var i = 0; i < 6; i++)
        {
            await MissAsync(_user, $"w-{i}");
            await Task.Delay(3, Ct); // distinct milliseconds are not needed, only likely: ties must be handled anyway
        }
        var all = await ItemsAsync("user=dana");
        var cut = all[2].GetProperty("at").GetString()!;

        var since = await ItemsAsync($"user=dana&since={cut}");
        var until = await ItemsAsync($"user=dana&until={cut}");
        Assert.All(since, e => Assert.True(string.CompareOrdinal(e.GetProperty("at").GetString(), cut) >= 0));
        Assert.All(until, e => Assert.True(string.CompareOrdinal(e.GetProperty("at").GetString(), cut) < 0));
        Assert.Equal(all.Count, since.Count + until.Count);
        Assert.Contains(since, e => e.GetProperty("target").GetString() == "w-3");

        Assert.Equal(6, (await ItemsAsync("user=dana&since=2000-01-01T02:00:00%2B02:00")).Count);
        Assert.Equal(6, (await ItemsAsync("user=dana&since=2000-01-01&until=2999-12-31T23:59:59.999Z")).Count);
        Assert.Empty(await ItemsAsync("user=dana&until=2000-01-01"));
    }

    [Theory]
    [InlineData("since=yesterday", "since")]
    [InlineData("until=12/02/2026", "until")]
    [InlineData("since=2026-13-45T00:00:00Z", "since")]
    [InlineData("page=0", "page")]
    [InlineData("page_size=1001", "page_size")]
    [InlineData("page_size=ten", "page_size")]
    public async Task Bad_query_values_are_a_422_naming_the_field(string query, string field)
    {
        var detail = await Json.AssertValidationAsync(await _admin.GetAsync($"/api/v1/audit?{query}", Ct));
        Assert.Equal(["query", field], detail[0].GetProperty("loc").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task No_secret_a_request_carries_reaches_the_table()
    {
        const string Password = "Pw-Secret-4711-zz";
        const string VmmToken = "VmmTok-Secret-0815-zz";
        const string QuerySecret = "QuerySecret-99zz";
        var envHex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(48));

        Assert.Equal(HttpStatusCode.OK, (await _admin.PutAsync($"/api/v1/teepods/{_teepodId}",
            Json.Body($$"""{"auth_username": "ops", "auth_password": "{{Password}}"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _admin.PutAsync($"/api/v1/teepods/{_teepodId}",
            Json.Body($$"""{"auth_token": "{{VmmToken}}"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _admin.PutAsync($"/api/v1/teepods/{_teepodId}",
            Json.Body("""{"auth_token": "", "auth_username": "", "auth_password": ""}"""), Ct)).StatusCode);
        await _admin.PostAsync($"/api/v1/teepods/preflight?endpoint=http://ops:{QuerySecret}@127.0.0.1:1", null, Ct);

        var provision = await ProvisionAsync(_user, "secret-app");
        var commit = CommitBody(provision);
        var encrypted = JsonDocument.Parse(commit).RootElement.GetProperty("encrypted_env").GetString()!;
        var vm = (await CommitBodyAsync(_user, commit)).Json;
        await _user.PatchAsync($"/api/v1/cvms/{vm.GetProperty("id").GetInt64()}/envs", Json.Body($$"""{"encrypted_env": "{{envHex}}"}"""), Ct);

        var tokens = new[]
        {
            _admin.DefaultRequestHeaders.Authorization!.Parameter!,
            _user.DefaultRequestHeaders.GetValues("X-API-Key").Single(),
        };
        var entries = await ItemsAsync("page_size=1000");
        Assert.True(entries.Count >= 7, $"{entries.Count} entries");
        var cells = await EveryCellAsync();
        foreach (var secret in new[] { Password, VmmToken, QuerySecret, encrypted, envHex, "s3cr3t", tokens[0], tokens[1] })
            Assert.DoesNotContain(cells, cell => cell.Contains(secret, StringComparison.Ordinal));
        // Nor any sizable piece of one (a prefix of a token, a slice of the env).
        foreach (var secret in tokens.Concat([encrypted, envHex]))
            Assert.DoesNotContain(cells, cell => cell.Length >= 16 && secret.Contains(cell, StringComparison.Ordinal));
    }
}
