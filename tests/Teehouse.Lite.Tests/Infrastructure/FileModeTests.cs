using System.Runtime.Versioning;
using Teehouse.Lite.Infrastructure.Files;
using Teehouse.Lite.Tests.Cli;

namespace Teehouse.Lite.Tests.Infrastructure;

/// <summary>
/// Under the usual umask 022 (set here, restored after each test) everything teehouse creates is its user's alone.
/// In-process runs do not pass through Program's umask call, so these prove the explicit modes on their own;
/// PublishedBinaryTests covers the binary with the umask.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class FileModeTests : IDisposable
{
    private const uint UsualUmask = 0b_000_010_010; // 022
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDir = Private | UnixFileMode.UserExecute;
    private const UnixFileMode Usual = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead; // 0644

    private readonly uint _previousUmask = PrivateFiles.SetUmask(UsualUmask);
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        PrivateFiles.SetUmask(_previousUmask);
        _dir.Dispose();
    }

    [Fact]
    public async Task The_server_creates_its_data_and_log_directories_0700_and_database_wal_shm_and_log_0600()
    {
        string data = "", logs = "";
        await using var app = await TestApp.StartAsync(c =>
        {
            var root = Path.GetDirectoryName(c.Database.Path)!;
            data = Path.Combine(root, "data");
            logs = Path.Combine(root, "logs");
            c.Database.Path = Path.Combine(data, "teehouse.db");
            c.Log.File = Path.Combine(logs, "teehouse-.log");
            c.Log.Level = "information";
        });
        await app.CreateTokenAsync("alice"); // a write: the WAL and SHM exist while the pool holds the connection
        using var client = app.Client();
        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
        var logFile = await WaitForSingleFileAsync(logs);

        AssertMode(PrivateDir, data);
        AssertMode(PrivateDir, logs);
        AssertMode(Private, app.Config.Database.Path);
        AssertMode(Private, app.Config.Database.Path + "-wal");
        AssertMode(Private, app.Config.Database.Path + "-shm");
        AssertMode(Private, logFile);
    }

    [Fact]
    public async Task The_cli_creates_the_database_and_a_backup_0600_in_0700_directories()
    {
        var config = WriteConfig();
        Assert.Equal(0, (await CliRunner.RunAsync("token", "create", "--user", "admin", "--config", config)).ExitCode);
        var backup = await CliRunner.RunAsync("backup", _dir.File("backups/copy.db"), "--config", config);
        Assert.Equal(0, backup.ExitCode);
        Assert.DoesNotContain("warning", backup.Err);

        AssertMode(PrivateDir, _dir.File("data"));
        AssertMode(Private, _dir.File("data/teehouse.db"));
        AssertMode(PrivateDir, _dir.File("backups"));
        AssertMode(Private, _dir.File("backups/copy.db"));
    }

    [Fact]
    public async Task A_loose_existing_database_is_reported_with_the_fix_and_left_as_it_is()
    {
        var config = WriteConfig();
        await CliRunner.RunAsync("token", "create", "--user", "admin", "--config", config);
        var db = _dir.File("data/teehouse.db");
        File.SetUnixFileMode(db, Usual);
        File.SetUnixFileMode(_dir.File("data"), PrivateDir | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);

        var result = await CliRunner.RunAsync("user", "list", "--config", config);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"teehouse: warning: {db} has mode 0644", result.Err);
        Assert.Contains($"fix with: chmod 600 {db}", result.Err);
        Assert.Contains($"fix with: chmod 700 {_dir.File("data")}", result.Err);
        Assert.Contains("admin", result.Out);
        AssertMode(Usual, db);
    }

    [Fact]
    public async Task The_server_logs_a_warning_for_a_loose_existing_database()
    {
        string db = "", logs = "";
        await using var app = await TestApp.StartAsync(c =>
        {
            db = c.Database.Path;
            logs = Path.Combine(Path.GetDirectoryName(db)!, "logs");
            c.Log.File = Path.Combine(logs, "teehouse-.log");
            File.WriteAllBytes(db, []); // what an operator's `touch` or `cp` leaves under umask 022
            File.SetUnixFileMode(db, Usual);
        });

        var log = await File.ReadAllTextAsync(await WaitForSingleFileAsync(logs));
        Assert.Contains($"[WRN] {typeof(PrivateFiles).FullName}: {db} has mode 0644", log);
        Assert.Contains($"fix with: chmod 600 {db}", log);
        AssertMode(Usual, db);
    }

    private string WriteConfig()
    {
        var path = _dir.File("teehouse.toml");
        File.WriteAllText(path, """
            [database]
            path = "data/teehouse.db"
            [log]
            file = ""
            """);
        return path;
    }

    private static void AssertMode(UnixFileMode expected, string path)
    {
        Assert.True(Path.Exists(path), $"{path} does not exist");
        Assert.True(expected == File.GetUnixFileMode(path),
            $"{path}: expected {PrivateFiles.Octal(expected)}, found {PrivateFiles.Octal(File.GetUnixFileMode(path))}");
    }

    /// <summary>The rolling sink names the file by date and writes the request line after the response is sent.</summary>
    private static async Task<string> WaitForSingleFileAsync(string directory)
    {
        for (var i = 0; i < 100; i++)
        {
            var files = Directory.Exists(directory) ? Directory.GetFiles(directory) : [];
            if (files.Length == 1 && new FileInfo(files[0]).Length > 0) return files[0];
            await Task.Delay(50);
        }
        throw new TimeoutException($"no log file with content appeared in {directory}");
    }
}
