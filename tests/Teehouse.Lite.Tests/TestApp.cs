using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Hosting;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests;

/// <summary>
/// The real application on a real SQLite file in a temp directory, served by Kestrel on a loopback port.
/// Tests talk to it over HTTP exactly as curl or the SDK would.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, TeehouseConfig config, TempDir dir)
    {
        App = app;
        Config = config;
        Dir = dir;
        BaseUrl = app.BoundAddress();
        Db = (Db)app.Services.GetService(typeof(Db))!;
    }

    public WebApplication App { get; }
    public TeehouseConfig Config { get; }
    public TempDir Dir { get; }
    public Uri BaseUrl { get; }
    public Db Db { get; }

    public static async Task<TestApp> StartAsync(Action<TeehouseConfig>? configure = null)
    {
        var dir = new TempDir();
        var config = TestConfig.Create(dir);
        configure?.Invoke(config);
        var app = await ServerApp.BuildAsync(config, new ServerOptions("127.0.0.1:0", ConsoleLog: false));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestApp(app, config, dir);
    }

    /// <summary>Creates a user (if missing) and a token for it, as `teehouse token create` does.</summary>
    public async Task<string> CreateTokenAsync(string username, string role = Roles.User)
    {
        var (user, _) = await new UserStore(Db).GetOrCreateAsync(username, role);
        var (_, token) = await new TokenStore(Db).CreateAsync(user, "test");
        return token;
    }

    public HttpClient Client(string? token = null, bool apiKeyHeader = false)
    {
        var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (token is null) return client;
        if (apiKeyHeader) client.DefaultRequestHeaders.Add("X-API-Key", token);
        else client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<HttpClient> AdminClientAsync() => Client(await CreateTokenAsync("admin", Roles.Admin));

    public async Task<HttpClient> UserClientAsync(string name = "alice") => Client(await CreateTokenAsync(name));

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Dir.Dispose();
    }
}

public static class TestConfig
{
    public static TeehouseConfig Create(TempDir dir)
    {
        var config = new TeehouseConfig();
        config.Database.Path = Path.Combine(dir.Path, "teehouse.db");
        config.Log.File = "";
        config.Log.Level = "warning";
        config.Tiers["FREE"] = ConfigLoader.DefaultFreeTier();
        return config;
    }
}

public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "teehouse-test-" + Guid.NewGuid().ToString("n")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
