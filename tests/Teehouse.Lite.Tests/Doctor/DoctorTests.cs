using System.Diagnostics;
using System.Text.Json;
using Teehouse.Lite.Doctor;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Tests.Cli;
using Teehouse.Lite.Tests.Infrastructure.Processes;

namespace Teehouse.Lite.Tests.Doctor;

/// <summary>
/// <c>teehouse doctor</c> against real files, a fake sysfs, fake qemu on the search path and simulated teepods: every
/// row that should pass passes, each broken thing is a ✗ with a fix, and nothing is created or changed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DoctorTests : IAsyncLifetime
{
    private const string VmmToken = "doctor-vmm-token-secret-123456";
    private readonly TempDir _dir = new();
    private readonly FakeTools _tools = new();
    private SimulatorHost _sim = null!;
    private string _config = "";
    private string _dbPath = "";
    private string _sysfs = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 1, AuthEnabled = true, Tokens = [VmmToken] });
        _config = _dir.File("teehouse.toml");
        _dbPath = _dir.File("db/teehouse.db");
        File.WriteAllText(_config, "[database]\npath = \"db/teehouse.db\"\n[log]\nfile = \"\"\n");
        _sysfs = _dir.File("sys");
        SetTdx("Y");
        _tools.Prints("qemu-system-x86_64", "QEMU emulator version 9.2.0 (dstack)\nCopyright (c) 2003-2024 Fabrice Bellard");
    }

    public async ValueTask DisposeAsync()
    {
        await _sim.DisposeAsync();
        _tools.Dispose();
        _dir.Dispose();
    }

    private void SetTdx(string value)
    {
        var dir = Path.Combine(_sysfs, "module", "kvm_intel", "parameters");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tdx"), value + "\n");
    }

    private async Task RegisterSimulatorAsync()
    {
        var vmmToml = _dir.File("vmm.toml");
        File.WriteAllText(vmmToml, $"address = \"127.0.0.1\"\nport = {_sim.BaseUrl.Port}\nkms_url = \"{_sim.KmsUrl.ToString().TrimEnd('/')}\"\n[auth]\nenabled = true\ntokens = [\"{VmmToken}\"]\n");
        var added = await CliRunner.RunAsync(["teepod", "add-local", "--vmm-config", vmmToml, "--config", _config]);
        Assert.True(added.ExitCode == 0, added.Err);
    }

    private DoctorOptions Options(TimeSpan? budget = null) =>
        new(_config, _tools.SearchPath, _sysfs, TimeSpan.FromSeconds(2), budget ?? TimeSpan.FromSeconds(15));

    private static DoctorCheck Row(DoctorReport report, string name) => report.Checks.Single(c => c.Name == name);

    private static void AssertFailed(DoctorCheck row, string detailPart)
    {
        Assert.Equal(DoctorStatus.Fail, row.Status);
        Assert.Contains(detailPart, row.Detail);
        Assert.False(string.IsNullOrWhiteSpace(row.Fix));
    }

    [Fact]
    public async Task A_healthy_host_passes_every_check()
    {
        await RegisterSimulatorAsync();
        var report = await DoctorRunner.RunAsync(Options(), Ct);

        Assert.True(report.Healthy, report.ToText());
        Assert.Equal(0, report.Failed);
        Assert.Contains("schema " + Migrator.LatestVersion + " of " + Migrator.LatestVersion, Row(report, "database").Detail);
        Assert.Equal("QEMU emulator version 9.2.0 (dstack)", Row(report, "qemu").Detail);
        var teepod = report.Checks.Single(c => c.Name.StartsWith("teepod ", StringComparison.Ordinal));
        Assert.Equal(DoctorStatus.Pass, teepod.Status);
        Assert.Contains("dstack-vmm 0.5.", teepod.Detail);
        Assert.Equal(DoctorStatus.Pass, report.Checks.Single(c => c.Name.StartsWith("kms ", StringComparison.Ordinal)).Status);
        Assert.Equal(DoctorStatus.Pass, report.Checks.Single(c => c.Name.StartsWith("gateway ", StringComparison.Ordinal)).Status); // the one the vmm announces
        Assert.Equal(DoctorStatus.Pass, Row(report, "disk").Status);
        Assert.Equal(DoctorStatus.Pass, Row(report, "clock").Status);
        Assert.DoesNotContain(VmmToken, report.ToText());
        Assert.DoesNotContain(VmmToken, report.ToJson());

        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(report.Passed, doc.RootElement.GetProperty("passed").GetInt32());
        Assert.Equal(report.Checks.Count, doc.RootElement.GetProperty("checks").GetArrayLength());
    }

    [Fact]
    public async Task Tdx_off_or_absent_and_qemu_missing_failing_or_hanging_are_failures_with_fixes()
    {
        await RegisterSimulatorAsync();
        SetTdx("N");
        _tools.Add("qemu-system-x86_64", "echo 'qemu: could not load PC BIOS' >&2; exit 1");
        var report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "tdx"), "disabled");
        AssertFailed(Row(report, "qemu"), "exited with code 1: qemu: could not load PC BIOS");
        Assert.False(report.Healthy);

        File.Delete(Path.Combine(_sysfs, "module", "kvm_intel", "parameters", "tdx"));
        File.Delete(Path.Combine(_tools.Dir, "qemu-system-x86_64"));
        report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "tdx"), "not found");
        AssertFailed(Row(report, "qemu"), "qemu-system-x86_64 is not installed");

        _tools.Add("qemu-system-x86_64", "sleep 60");
        var clock = Stopwatch.StartNew();
        report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "qemu"), "did not finish within 2 s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task An_unreachable_teepod_is_a_failure_naming_its_endpoint_and_the_run_stays_bounded()
    {
        await RegisterSimulatorAsync();
        var endpoint = _sim.BaseUrl.ToString().TrimEnd('/');
        await _sim.DisposeAsync();
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0 }); // for DisposeAsync
        var clock = Stopwatch.StartNew();
        var report = await DoctorRunner.RunAsync(Options(), Ct);
        var row = report.Checks.Single(c => c.Name.StartsWith("teepod ", StringComparison.Ordinal));
        AssertFailed(row, "127.0.0.1:");
        Assert.Contains("systemctl status dstack-vmm", row.Fix);
        Assert.Equal(DoctorStatus.Fail, report.Checks.Single(c => c.Name.StartsWith("kms ", StringComparison.Ordinal)).Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Contains(endpoint.Replace("http://", ""), row.Detail);
    }

    [Fact]
    public async Task A_hanging_teepod_is_cut_off_by_the_budget()
    {
        await RegisterSimulatorAsync();
        using var fault = new HttpClient();
        await fault.PostAsync(new Uri(_sim.BaseUrl, "/_sim/fault"), new StringContent("""{"mode": "hang"}"""), Ct);
        var clock = Stopwatch.StartNew();
        var report = await DoctorRunner.RunAsync(Options(TimeSpan.FromSeconds(4)) with { NetworkTimeout = TimeSpan.FromSeconds(30) }, Ct);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains(report.Checks, c => c.Status == DoctorStatus.Fail && c.Detail.Contains("time budget"));
        await fault.PostAsync(new Uri(_sim.BaseUrl, "/_sim/fault"), new StringContent("""{"mode": "none"}"""), Ct);
    }

    [Fact]
    public async Task A_missing_database_is_reported_and_not_created()
    {
        var report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "database"), "not found");
        Assert.Contains("teehouse serve", Row(report, "database").Fix);
        Assert.False(File.Exists(_dbPath));
        Assert.False(Directory.Exists(Path.GetDirectoryName(_dbPath)));
        Assert.Equal(DoctorStatus.Skip, Row(report, "teepods").Status);
        Assert.Equal(DoctorStatus.Pass, Row(report, "disk").Status); // measured where the directory will be made
    }

    [Fact]
    public async Task An_old_schema_and_loose_modes_are_failures_with_the_fix()
    {
        await RegisterSimulatorAsync();
        await using (var c = await new Db(_dbPath, 2000).OpenAsync(Ct))
        await using (var command = c.CreateCommand())
        {
            command.CommandText = $"DELETE FROM schema_migrations WHERE version = {Migrator.LatestVersion}";
            await command.ExecuteNonQueryAsync(Ct);
        }
        File.SetUnixFileMode(_dbPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "database"), $"schema {Migrator.LatestVersion - 1} of {Migrator.LatestVersion}");
        AssertFailed(Row(report, "file modes"), "0644");
        Assert.Contains($"chmod 600 {_dbPath}", Row(report, "file modes").Fix);
        // Doctor changed neither.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(_dbPath));
        await using var check = await new Db(_dbPath, 2000).OpenAsync(Ct);
        Assert.Equal(Migrator.LatestVersion - 1, await Migrator.CurrentVersionAsync(check));
    }

    [Fact]
    public async Task A_database_that_is_not_one_is_a_failure_not_a_crash()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_dbPath)!);
        File.WriteAllText(_dbPath, "this is not a database, it is a text file that is long enough to have a header......");
        var report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "database"), _dbPath);
        Assert.Equal(DoctorStatus.Skip, Row(report, "teepods").Status);
    }

    [Fact]
    public async Task An_invalid_config_is_a_failure_and_the_host_checks_still_run()
    {
        File.WriteAllText(_config, "[server]\nlisten = \"nonsense\"\n");
        var report = await DoctorRunner.RunAsync(Options(), Ct);
        AssertFailed(Row(report, "config"), "listen");
        Assert.Equal(DoctorStatus.Pass, Row(report, "tdx").Status);
        Assert.Equal(DoctorStatus.Pass, Row(report, "qemu").Status);
    }

    [Fact]
    public void A_clock_behind_the_newest_record_fails()
    {
        var now = new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(DoctorStatus.Pass, HostChecks.Clock(now, now.AddMinutes(1)).Status);
        AssertFailed(HostChecks.Clock(now, now.AddHours(2)), "went back");
        AssertFailed(HostChecks.Clock(new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc), null), "1970");
    }

    [Fact]
    public async Task The_command_prints_the_table_or_json_and_exits_1_when_something_failed()
    {
        await RegisterSimulatorAsync();
        // The command uses the real /sys and PATH of this machine, which has no TDX: a failure, so exit 1.
        var text = await CliRunner.RunAsync(["doctor", "--config", _config]);
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("✓ database", text.Out);
        Assert.Contains("✗ tdx", text.Out);
        Assert.Matches(@"\d+ passed, [1-9]\d* failed, \d+ skipped", text.Out);
        var json = await CliRunner.RunAsync(["doctor", "--json", "--config", _config]);
        Assert.Equal(1, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
        Assert.Contains(doc.RootElement.GetProperty("checks").EnumerateArray(),
            c => c.GetProperty("name").GetString() == "tdx" && c.GetProperty("status").GetString() == "fail");
        Assert.DoesNotContain(VmmToken, json.Out + text.Out);

        // Read only: doctor is not an audited write.
        var teepods = await new TeepodStore(new Db(_dbPath, 2000)).ListAsync(includeDisabled: true);
        Assert.Single(teepods);
    }
}
