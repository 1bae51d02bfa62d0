using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Processes;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Doctor;

/// <summary>
/// Runs every check in order and never throws: a broken config or database is a row, and the checks that do not
/// need it still run. Bounded by <see cref="DoctorOptions.Budget"/>: whatever is still waiting then is a failed row.
/// </summary>
public static class DoctorRunner
{
    public static async Task<DoctorReport> RunAsync(DoctorOptions options, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(options.Budget);
        var checks = new List<DoctorCheck>();

        TeehouseConfig? config = null;
        string configName;
        try
        {
            configName = ConfigLoader.Resolve(options.ConfigPath) ?? "(built-in defaults)";
            config = ConfigLoader.Load(options.ConfigPath);
            checks.Add(DoctorCheck.Pass("config", $"{configName} is valid"));
        }
        catch (ConfigException e)
        {
            configName = options.ConfigPath ?? "(config)";
            checks.Add(DoctorCheck.Fail("config", e.Message.ReplaceLineEndings(" "), "correct it; `teehouse config check` lists every problem"));
        }

        DatabaseFacts facts = new(false, null);
        if (config is not null)
        {
            var (rows, seen) = await DatabaseChecks.RunAsync(config.Database.Path, budget.Token);
            checks.AddRange(rows);
            facts = seen;
        }
        else
        {
            checks.Add(DoctorCheck.Skip("database", "no valid config names it"));
        }

        checks.Add(HostChecks.Tdx(options.SysfsRoot));
        var searchPath = options.SearchPath ?? (config?.Tools.SearchPath is { Length: > 0 } path ? path : null);
        checks.Add(await Bounded("qemu", HostChecks.QemuAsync(new LocalTools(searchPath), options.NetworkTimeout, budget.Token), budget.Token));

        if (config is not null && facts.Usable)
        {
            var teepods = await new TeepodStore(new Db(config.Database.Path, config.Database.BusyTimeoutMs)).ListAsync(includeDisabled: true);
            using var clients = new DstackClientFactory(options.NetworkTimeout);
            var rows = TeepodChecks.RunAsync(teepods, clients, budget.Token);
            checks.AddRange(await BoundedMany("teepods", rows, budget.Token));
        }
        else
        {
            checks.Add(DoctorCheck.Skip("teepods", "the database could not be read"));
        }

        if (config is not null) checks.Add(HostChecks.Disk(Path.GetDirectoryName(Path.GetFullPath(config.Database.Path))!));
        checks.Add(HostChecks.Clock(DateTime.UtcNow, facts.NewestRecord));
        return new DoctorReport(configName, checks);
    }

    private static async Task<DoctorCheck> Bounded(string name, Task<DoctorCheck> check, CancellationToken budget)
    {
        try
        {
            return await check.WaitAsync(budget);
        }
        catch (OperationCanceledException)
        {
            return DoctorCheck.Fail(name, "no answer within the doctor's time budget", "run the check by hand to see where it hangs");
        }
    }

    private static async Task<List<DoctorCheck>> BoundedMany(string name, Task<List<DoctorCheck>> checks, CancellationToken budget)
    {
        try
        {
            return await checks.WaitAsync(budget);
        }
        catch (OperationCanceledException)
        {
            return [DoctorCheck.Fail(name, "no answer within the doctor's time budget", "check the teepods one by one with curl")];
        }
    }
}
