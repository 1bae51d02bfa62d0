namespace Teehouse.Lite.Doctor;

public enum DoctorStatus
{
    Pass,
    Fail,
    /// <summary>Not applicable here (no teepods, no KMS named): neither passes nor fails the run.</summary>
    Skip,
}

/// <summary>One row of the doctor's table: what was checked, what was seen, and for a failure what to do about it.</summary>
public sealed record DoctorCheck(string Name, DoctorStatus Status, string Detail, string? Fix = null)
{
    public static DoctorCheck Pass(string name, string detail) => new(name, DoctorStatus.Pass, detail);
    public static DoctorCheck Fail(string name, string detail, string fix) => new(name, DoctorStatus.Fail, detail, fix);
    public static DoctorCheck Skip(string name, string detail) => new(name, DoctorStatus.Skip, detail);
}

/// <summary>Where the checks look; the defaults are the real host's, tests point them at fakes.</summary>
public sealed record DoctorOptions(string? ConfigPath, string? SearchPath, string SysfsRoot, TimeSpan NetworkTimeout, TimeSpan Budget)
{
    public const string SysfsRootVariable = "TEEHOUSE_SYSFS_ROOT";

    public static DoctorOptions FromEnvironment(string? configPath) => new(
        configPath,
        SearchPath: null,
        SysfsRoot: Environment.GetEnvironmentVariable(SysfsRootVariable) is { Length: > 0 } root ? root : "/sys",
        NetworkTimeout: TimeSpan.FromSeconds(5),
        Budget: TimeSpan.FromSeconds(15));
}
