using System.Text.Json;
using Dapper;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// The list answers kept as bytes (<see cref="AnswerCache"/>): served again while nothing changed, never across users,
/// and never once anything is committed, even by a connection the server does not know about (another process).
/// </summary>
public sealed class ListCacheTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;
    private Db _other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        _admin = await _app.AdminClientAsync();
        _alice = await _app.UserClientAsync("alice");
        _bob = await _app.UserClientAsync("bob");
        var users = new UserStore(_app.Db);
        await ListSeed.SeedAsync(_app.Db, (await users.FindByNameAsync("alice"))!.Id, (await users.FindByNameAsync("bob"))!.Id);
        // As `teehouse import` or a sqlite3 shell would: a connection of its own, outside the server's pool.
        _other = new Db(_app.Config.Database.Path, 5000);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in new[] { _admin, _alice, _bob }) client.Dispose();
        await _app.DisposeAsync();
    }

    private AnswerCache Cache => (AnswerCache)_app.App.Services.GetService(typeof(AnswerCache))!;

    private static async Task<string> GetAsync(HttpClient client, string path, string? version = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (version is not null) request.Headers.Add("X-Phala-Version", version);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private async Task ExecuteElsewhereAsync(string sql)
    {
        await using var c = await _other.OpenAsync();
        await c.ExecuteAsync(sql);
    }

    [Theory]
    [InlineData("/api/v1/cvms/paginated?page_size=4")]
    [InlineData("/api/v1/apps?page_size=4")]
    public async Task A_repeated_read_is_the_same_bytes_from_the_cache(string path)
    {
        // A token's first use records it (a commit, so a new epoch); within the minute after, its requests write nothing.
        await GetAsync(_admin, "/api/v1/auth/me");
        var first = await GetAsync(_admin, path);
        Assert.NotEqual(0, Cache.Count);
        var hits = Cache.Hits;
        Assert.Equal(first, await GetAsync(_admin, path));
        Assert.Equal(hits + 1, Cache.Hits);
    }

    [Theory]
    [InlineData("/api/v1/cvms/paginated?page_size=4", null)]
    [InlineData("/api/v1/cvms/paginated?page_size=4", "2025-10-28")]
    [InlineData("/api/v1/apps?page_size=4", null)]
    [InlineData("/api/v1/apps?page_size=4", "2025-10-28")]
    public async Task A_commit_by_another_connection_shows_on_the_very_next_request(string path, string? version)
    {
        var before = await GetAsync(_admin, path, version);
        Assert.Equal(before, await GetAsync(_admin, path, version));
        Assert.DoesNotContain("renamed-elsewhere", before);

        await ExecuteElsewhereAsync("UPDATE cvms SET name = 'renamed-elsewhere' WHERE status <> 'gone'");
        Assert.Contains("renamed-elsewhere", await GetAsync(_admin, path, version));

        // And a row that goes away (gone) leaves the very next answer.
        await ExecuteElsewhereAsync("UPDATE cvms SET status = 'gone' WHERE status <> 'gone'");
        Assert.DoesNotContain("renamed-elsewhere", await GetAsync(_admin, path, version));
    }

    [Fact]
    public async Task A_teepods_new_image_list_shows_on_the_next_request()
    {
        // tdx-b lists dstack-0.5.5 as a dev image; fıx-25 runs it there.
        const string path = "/api/v1/cvms/paginated?teepod_id=902&page_size=50";
        bool IsDev(string body) => JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("name").GetString() == "fıx-25").GetProperty("os").GetProperty("is_dev").GetBoolean();
        Assert.True(IsDev(await GetAsync(_admin, path)));
        await ExecuteElsewhereAsync("""UPDATE teepods SET images_json = '[{"name":"dstack-0.5.5","version":"0.5.5","is_dev":false}]' WHERE id = 902""");
        Assert.False(IsDev(await GetAsync(_admin, path)));
    }

    [Theory]
    [InlineData("/api/v1/cvms/paginated")]
    [InlineData("/api/v1/apps")]
    public async Task One_users_cached_page_is_never_another_users(string path)
    {
        var alices = await GetAsync(_alice, path);
        var bobs = await GetAsync(_bob, path);
        var admins = await GetAsync(_admin, path);
        Assert.NotEqual(alices, bobs);
        Assert.NotEqual(alices, admins);
        Assert.Contains("\"alice\"", alices);
        Assert.DoesNotContain("\"bob\"", alices);
        Assert.Contains("\"bob\"", bobs);
        Assert.DoesNotContain("\"alice\"", bobs);
        Assert.Equal(alices, await GetAsync(_alice, path));
        Assert.Equal(bobs, await GetAsync(_bob, path));

        using var carol = await _app.UserClientAsync("carol");
        Assert.DoesNotContain("\"alice\"", await GetAsync(carol, path));
    }
}
