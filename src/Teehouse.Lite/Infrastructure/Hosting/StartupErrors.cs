using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// Turns the exceptions of a failed start (a socket bind, a directory, the database files) into one line that names
/// what and where, instead of a stack trace that ends in "unable to open database file" without a path.
/// </summary>
public static class StartupErrors
{
    // SQLite primary result codes that a file's owner or mode can cause (PERM, READONLY, IOERR, CANTOPEN, AUTH).
    private static readonly int[] AccessCodes = [3, 8, 10, 14, 23];

    public static StartupException Listen(ListenAddress listen, SocketException e)
    {
        var where = Display(listen);
        return e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => new($"cannot listen on {where}: address already in use"),
            SocketError.AddressNotAvailable => new($"cannot listen on {where}: address not available on this host"),
            SocketError.AccessDenied when listen.Port < 1024 =>
                new($"cannot listen on {where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"),
            _ => new($"cannot listen on {where}: {e.Message.TrimEnd('.').ToLowerInvariant()}"),
        };
    }

    /// <summary>The bind failure inside what Kestrel or the host threw, if that is what it was.</summary>
    public static SocketException? FindSocketError(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket) return socket;
        return null;
    }

    public static string Display(ListenAddress listen) =>
        listen.Host.Contains(':') ? $"[{listen.Host}]:{listen.Port}" : $"{listen.Host}:{listen.Port}";

    /// <summary>
    /// What went wrong opening or creating the database at <paramref name="databasePath"/>, read from the file system
    /// (who owns what, what is writable) rather than from SQLite's code alone; null when it is not a file problem.
    /// </summary>
    public static StartupException? Database(Exception e, string databasePath)
    {
        var accessProblem = e switch
        {
            SqliteException sqlite => AccessCodes.Contains(sqlite.SqliteErrorCode),
            UnauthorizedAccessException or IOException => true,
            _ => false,
        };
        if (accessProblem && Diagnose(databasePath) is { } diagnosed) return diagnosed;
        return e is SqliteException or UnauthorizedAccessException or IOException
            ? new StartupException($"database {databasePath}: {Reason(e)}")
            : null;
    }

    /// <summary>The data directory is missing and cannot be made, or is there and not writable; else null.</summary>
    public static StartupException? DataDirectory(string directory)
    {
        var user = FileOwner.CurrentUser;
        if (!Directory.Exists(directory))
        {
            var parent = ExistingAncestor(directory);
            return parent is null || FileOwner.IsWritable(parent) ? null
                : new StartupException($"cannot create data directory {directory}: {parent} is not writable by user {user}");
        }
        return FileOwner.IsWritable(directory) ? null
            : new StartupException($"data directory {directory} is not writable by user {user}");
    }

    private static StartupException? Diagnose(string databasePath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath))!;
        if (DataDirectory(directory) is { } directoryProblem) return directoryProblem;
        var user = FileOwner.CurrentUser;
        foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            if (!File.Exists(file) || FileOwner.IsWritable(file)) continue;
            var owner = FileOwner.NameOf(file);
            var what = file == databasePath ? "database" : "database file";
            return owner is not null && owner != user
                ? new StartupException($"{what} {file} is read-only for user {user} (owned by {owner}; fix with: chown {user} {databasePath}*)")
                : new StartupException($"{what} {file} is read-only (mode {Mode(file)}; fix with: chmod 600 {file})");
        }
        return null;
    }

    private static string Mode(string file) =>
        OperatingSystem.IsWindows() ? "?" : Files.PrivateFiles.Octal(File.GetUnixFileMode(file));

    private static string? ExistingAncestor(string directory)
    {
        for (var d = Path.GetDirectoryName(directory); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d))
            if (Directory.Exists(d)) return d;
        return null;
    }

    // "SQLite Error 26: 'file is not a database'." → "file is not a database"
    private static string Reason(Exception e)
    {
        if (e is not SqliteException sqlite) return e.Message;
        var message = sqlite.Message;
        var start = message.IndexOf('\'');
        var end = message.LastIndexOf('\'');
        return start >= 0 && end > start ? message[(start + 1)..end] : message;
    }
}
