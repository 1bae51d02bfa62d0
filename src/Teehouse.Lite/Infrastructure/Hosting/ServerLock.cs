using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Teehouse.Lite.Infrastructure.Files;

namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// One server per database: two would both run the pinger and the restarter against the same rows. An exclusive
/// flock on <c>&lt;db&gt;.lock</c> is held for the server's life, with its pid written in for the refusal message; the
/// kernel drops the lock when the process dies, so a file left behind never blocks a restart. CLI commands do not
/// take it: they work beside a running server. FileStream's own FileShare locking is not used, as it can be turned
/// off by an environment variable and would also stop the refused server from reading the holder's pid.
/// </summary>
public sealed partial class ServerLock : IDisposable
{
    private const int ReadWrite = 0x2, Create = 0x40, CloseOnExec = 0x80000; // Linux open(2) flags
    private const int Exclusive = 2, NonBlocking = 4;                          // flock(2) operations
    private const int WouldBlock = 11;                                          // EAGAIN = EWOULDBLOCK on Linux
    private const int OwnerReadWrite = 0b_110_000_000;                          // 0600

    private readonly SafeFileHandle? _handle;

    private ServerLock(string path, SafeFileHandle? handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    public static string PathFor(string databasePath) => databasePath + ".lock";

    /// <summary>Takes the lock or throws a <see cref="StartupException"/> naming the server that has it.</summary>
    public static ServerLock Acquire(string databasePath)
    {
        var path = PathFor(databasePath);
        // Only Linux is shipped; elsewhere (a developer's machine) the server runs unguarded.
        if (!OperatingSystem.IsLinux()) return new ServerLock(path, null);

        var directory = System.IO.Path.GetDirectoryName(path)!;
        try { PrivateFiles.CreateDirectory(directory); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw StartupErrors.DataDirectory(directory) ?? new StartupException($"cannot create data directory {directory}: {e.Message}");
        }

        var fd = Open(path, ReadWrite | Create | CloseOnExec, OwnerReadWrite);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw StartupErrors.DataDirectory(directory) ?? StartupErrors.Database(new UnauthorizedAccessException(), path)
                  ?? new StartupException($"cannot open lock file {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Flock(fd, Exclusive | NonBlocking) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            var holder = error == WouldBlock ? ReadPid(handle) : null;
            handle.Dispose();
            if (error != WouldBlock)
                throw new StartupException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(error)}");
            throw new StartupException(holder is null
                ? $"another teehouse server is already serving {databasePath} (it holds {path})"
                : $"another teehouse server (pid {holder}) is already serving {databasePath}");
        }

        var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, pid, 0);
        return new ServerLock(path, handle);
    }

    private static string? ReadPid(SafeFileHandle handle)
    {
        var buffer = new byte[32];
        var read = RandomAccess.Read(handle, buffer, 0);
        var text = Encoding.ASCII.GetString(buffer, 0, read).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? text : null;
    }

    /// <summary>Releases the lock (closing the descriptor drops the flock); the file stays, harmlessly.</summary>
    public void Dispose() => _handle?.Dispose();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
