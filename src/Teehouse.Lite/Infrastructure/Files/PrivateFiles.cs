using System.Runtime.InteropServices;

namespace Teehouse.Lite.Infrastructure.Files;

/// <summary>
/// The database holds token hashes and encrypted env, and the logs name users and hosts: what teehouse creates is
/// for its own user only (directories 0700, files 0600), whatever umask it was started with.
/// </summary>
public static partial class PrivateFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    private const uint OwnerOnlyUmask = 0b_000_111_111; // 077 (C# has no octal literals)
    private const UnixFileMode GroupOrOthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>
    /// Files made by code we do not control (SQLite's WAL/SHM, Serilog's rolled files, a temp file) follow the umask;
    /// 077 makes them private too. The explicit modes below still apply, so nothing depends on this call alone.
    /// </summary>
    public static void RestrictUmask()
    {
        if (!OperatingSystem.IsWindows()) SetUmask(OwnerOnlyUmask);
    }

    /// <summary>Sets the process umask and returns the previous one (tests restore it).</summary>
    internal static uint SetUmask(uint mask) => Umask(mask);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    /// <summary>Creates the directory (and missing parents) 0700; an existing one is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (string.IsNullOrEmpty(path) || Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(path); return; }
        Directory.CreateDirectory(path, DirectoryMode);
    }

    /// <summary>Creates an empty 0600 file; throws <see cref="IOException"/> if it already exists (no race with a check).</summary>
    public static void CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        using var _ = new FileStream(path, options);
        // open(2) masks the create mode with the umask, which can only take bits away; no chmod is needed.
    }

    /// <summary>Creates an empty 0600 file unless one is there; an existing file keeps its mode.</summary>
    public static void CreateIfMissing(string path)
    {
        if (File.Exists(path)) return;
        try { CreateNew(path); }
        catch (IOException) when (File.Exists(path)) { } // another process created it first
    }

    /// <summary>Sets 0600 on a file this process has just created.</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, FileMode);
    }

    /// <summary>
    /// One line per problem with the database's files: the file (or its -wal/-shm) is open to group/others, or its
    /// directory is writable by them (they could swap the file). Like ssh with a loose key, we warn and change
    /// nothing: the operator may have chosen the mode (a backup group), and a chmod behind their back hides the problem.
    /// </summary>
    public static IReadOnlyList<string> LooseDatabaseModes(string databasePath) =>
        [.. LooseDatabaseModeFindings(databasePath).Select(f => $"{f.Problem}; fix with: {f.Fix}")];

    /// <summary>The same problems, each with the command that fixes it apart (doctor shows them in two columns).</summary>
    public static IReadOnlyList<LooseMode> LooseDatabaseModeFindings(string databasePath)
    {
        var findings = new List<LooseMode>();
        if (OperatingSystem.IsWindows()) return findings;
        foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            if (!File.Exists(file)) continue;
            var mode = File.GetUnixFileMode(file);
            if ((mode & GroupOrOthers) != 0)
                findings.Add(new($"{file} has mode {Octal(mode)}: group/others can access the database, which holds secrets",
                    $"chmod 600 {file}"));
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (!string.IsNullOrEmpty(directory) && Directory.Exists(directory))
        {
            var mode = File.GetUnixFileMode(directory);
            if ((mode & GroupOrOthersWrite) != 0)
                findings.Add(new($"{directory} has mode {Octal(mode)}: group/others can replace the database in it",
                    $"chmod 700 {directory}"));
        }
        return findings;
    }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}

/// <summary>A database file or directory open to others, and the command that closes it.</summary>
public sealed record LooseMode(string Problem, string Fix);
