using System.Text;
using System.Text.RegularExpressions;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// The list answers (<c>/cvms/paginated</c>, <c>/apps</c>, <c>/apps/{id}</c>, <c>/apps/{id}/cvms</c>) byte for byte, for
/// admins and users, both <c>X-Phala-Version</c>s and every filter, against <see cref="ListSeed"/>. The golden file was
/// written by the code before the lists moved into SQL and the byte cache; only the syslog link's host and cap (an
/// expiry and a MAC under a random key) are masked. Set TEEHOUSE_WRITE_GOLDEN=1 to rewrite it after a deliberate change.
/// </summary>
public sealed partial class ListAnswersTests : IAsyncLifetime
{
    private static readonly string GoldenPath = Path.Combine(RepoRoot.Path, "tests", "Teehouse.Lite.Tests", "Cvms", "ListAnswers.golden.txt");

    private TestApp _app = null!;
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        _clients["admin"] = await _app.AdminClientAsync();
        foreach (var name in new[] { "alice", "bob", "carol" }) _clients[name] = await _app.UserClientAsync(name);
        var users = new UserStore(_app.Db);
        // The requests below name users by id: admin 1, alice 2, bob 3, carol 4.
        Assert.Equal(4, (await users.FindByNameAsync("carol"))!.Id);
        await ListSeed.SeedAsync(_app.Db, (await users.FindByNameAsync("alice"))!.Id, (await users.FindByNameAsync("bob"))!.Id);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values) client.Dispose();
        await _app.DisposeAsync();
    }

    /// <summary>(who, path): each is asked in both versions.</summary>
    public static readonly (string Who, string Path)[] Requests =
    [
        ("admin", "/api/v1/cvms/paginated?page_size=12"),
        ("admin", "/api/v1/cvms/paginated?page=2&page_size=7"),
        ("admin", "/api/v1/cvms/paginated?page=8&page_size=7"),
        ("admin", "/api/v1/cvms/paginated?page=99&page_size=7"),
        ("admin", "/api/v1/cvms/paginated?teepod_id=902&page_size=6"),
        ("admin", "/api/v1/cvms/paginated?node_id=903&page_size=5&page=2"),
        ("admin", "/api/v1/cvms/paginated?node_id=901&teepod_id=902"),
        ("admin", "/api/v1/cvms/paginated?node_id=901&teepod_id=901&page_size=3"),
        ("admin", "/api/v1/cvms/paginated?user_id=2&page_size=4"),
        ("admin", "/api/v1/cvms/paginated?user_id=3&teepod_id=901&page_size=4"),
        ("admin", "/api/v1/cvms/paginated?user_id=4"),
        ("admin", "/api/v1/cvms/paginated?teepod_id=999"),
        ("alice", "/api/v1/cvms/paginated?page_size=9"),
        ("alice", "/api/v1/cvms/paginated?page=3&page_size=4"),
        ("alice", "/api/v1/cvms/paginated?teepod_id=903&page_size=4"),
        ("alice", "/api/v1/cvms/paginated?user_id=3"),
        ("alice", "/api/v1/cvms/paginated?user_id=2&node_id=902&page_size=3"),
        ("bob", "/api/v1/cvms/paginated?page_size=5&page=2"),
        ("bob", "/api/v1/cvms/paginated"),
        ("carol", "/api/v1/cvms/paginated"),

        ("admin", "/api/v1/apps?page_size=4"),
        ("admin", "/api/v1/apps?page=3&page_size=4"),
        ("admin", "/api/v1/apps?page=99"),
        ("admin", "/api/v1/apps?search=FIX"),
        ("admin", "/api/v1/apps?search=%20web-%20&page_size=3"),
        ("admin", "/api/v1/apps?search=aaa0A"),
        ("admin", "/api/v1/apps?search=%C3%A4rger"),
        ("admin", "/api/v1/apps?search=nothing-like-it"),
        ("admin", "/api/v1/apps?search=%20%20&page_size=3"),
        ("admin", "/api/v1/apps?search=F%C4%B1X"),
        ("admin", "/api/v1/apps?status=stopped&page_size=3"),
        ("admin", "/api/v1/apps?status=exited&status=%20removing%20&page_size=5&page=2"),
        ("admin", "/api/v1/apps?status=gone"),
        ("admin", "/api/v1/apps?status=&status=starting&page_size=2"),
        ("admin", "/api/v1/apps?listed=true&page_size=3"),
        ("admin", "/api/v1/apps?listed=FALSE&page_size=3&page=4"),
        ("admin", "/api/v1/apps?listed=true&status=running&search=vm&page_size=4"),
        ("alice", "/api/v1/apps?page_size=5"),
        ("alice", "/api/v1/apps?page=2&page_size=5"),
        ("alice", "/api/v1/apps?search=strasse"),
        ("alice", "/api/v1/apps?status=running&listed=false&page_size=3"),
        ("bob", "/api/v1/apps?page_size=3&page=2"),
        ("carol", "/api/v1/apps"),

        ("admin", $"/api/v1/apps/{ListSeed.AppId(0)}"),
        ("admin", $"/api/v1/apps/0x{ListSeed.AppId(5).ToUpperInvariant()}/cvms"),
        ("alice", $"/api/v1/apps/{ListSeed.AppId(0)}"),
        ("alice", $"/api/v1/apps/{ListSeed.AppId(6)}/cvms"),
        ("bob", $"/api/v1/apps/{ListSeed.AppId(1)}/cvms"),
    ];

    [Fact]
    public async Task The_list_answers_are_the_golden_bytes()
    {
        var actual = await RenderAllAsync();
        if (Environment.GetEnvironmentVariable("TEEHOUSE_WRITE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(GoldenPath, actual, Ct);
            return;
        }
        Assert.True(File.Exists(GoldenPath), $"{GoldenPath} is missing; write it with TEEHOUSE_WRITE_GOLDEN=1");
        var expected = Sections(await File.ReadAllTextAsync(GoldenPath, Ct));
        var got = Sections(actual);
        Assert.Equal(expected.Keys, got.Keys);
        foreach (var (request, body) in expected) Assert.True(body == got[request], $"{request}\nexpected {body}\n     got {got[request]}");
    }

    /// <summary>Every request in the golden file's format: a <c>## who version path</c> line, status and type, the body.</summary>
    internal async Task<string> RenderAllAsync()
    {
        var text = new StringBuilder();
        foreach (var (who, path) in Requests)
        {
            foreach (var version in new[] { "2026-01-21", "2025-10-28" })
            {
                text.Append("## ").Append(who).Append(' ').Append(version).Append(' ').Append(path).Append('\n');
                text.Append(await RenderAsync(who, version, path)).Append("\n\n");
            }
        }
        return text.ToString();
    }

    internal async Task<string> RenderAsync(string who, string version, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Phala-Version", version);
        using var response = await _clients[who].SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType}\n{Mask(body)}";
    }

    private string Mask(string body) =>
        Cap().Replace(body.Replace(_app.BaseUrl.ToString().TrimEnd('/'), "http://teehouse", StringComparison.Ordinal), "cap=CAP");

    private static Dictionary<string, string> Sections(string text) =>
        text.Split("## ", StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Split('\n', 2))
            .ToDictionary(s => s[0], s => s[1].TrimEnd('\n'), StringComparer.Ordinal);

    [GeneratedRegex("cap=[0-9]+\\.[A-Za-z0-9_-]+")]
    private static partial Regex Cap();
}
