using System.Net;

namespace Teehouse.Lite.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_needs_no_token_and_reports_version_and_schema()
    {
        await using var app = await TestApp.StartAsync();
        var response = await app.Client().GetAsync("/healthz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", body.GetProperty("version").GetString());
        Assert.Equal("ok", body.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal(Teehouse.Lite.Infrastructure.Database.Migrator.LatestVersion,
            body.GetProperty("database").GetProperty("schema_version").GetInt32());
    }

    [Fact]
    public async Task Healthz_is_503_when_the_database_is_gone()
    {
        await using var app = await TestApp.StartAsync();
        // Replace the database file with a directory: every open now fails, as with a lost disk.
        // Background work at start (the audit retention run, the first ping) may open, and so recreate, the file
        // between the delete and the mkdir: try again until the directory is in place.
        for (var attempt = 0; !Directory.Exists(app.Config.Database.Path); attempt++)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(app.Config.Database.Path + suffix);
            try
            {
                Directory.CreateDirectory(app.Config.Database.Path);
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
        }

        var response = await app.Client().GetAsync("/healthz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("error", body.GetProperty("database").GetProperty("status").GetString());
    }
}
