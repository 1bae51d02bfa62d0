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
        var tools = new LocalTools(options.SearchPath ?? config?.Tools.SearchPath);
        checks.Add(await Bounded(HostChecks.QemuAsync(tools, options.NetworkTimeout, budget.Token),
            OutOfTime("qemu", "run the check by hand to see where it hangs"), budget.Token));

        if (config is not null && facts.Usable)
        {
            var teepods = await new TeepodStore(new Db(config.Database.Path, config.Database.BusyTimeoutMs)).ListAsync(includeDisabled: true);
            using var clients = new DstackClientFactory(options.NetworkTimeout);
            var rows = TeepodChecks.RunAsync(teepods, clients, budget.Token);
            checks.AddRange(await Bounded(rows, [OutOfTime("teepods", "check the teepods one by one with curl")], budget.Token));
        }
        else
        {
            checks.Add(DoctorCheck.Skip("teepods", "the database could not be read"));
        }

        if (config is not null) checks.Add(HostChecks.Disk(Path.GetDirectoryName(Path.GetFullPath(config.Database.Path))!));
        checks.Add(HostChecks.Clock(DateTime.UtcNow, facts.NewestRecord));
        return new DoctorReport(configName, checks);
    }

    /// <summary>What <paramref name="check"/> gave, or <paramref name="overran"/> when the budget ran out first.</summary>
    private static async Task<T> Bounded<T>(Task<T> check, T overran, CancellationToken budget)
    {
        try
        {
            return await check.WaitAsync(budget);
        }
        catch (OperationCanceledException)
        {
            return overran;
        }
    }

    private static DoctorCheck OutOfTime(string name, string fix) =>
        DoctorCheck.Fail(name, "no answer within the doctor's time budget", fix);
}
