using System.Runtime.InteropServices;

namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// Who owns a file and whether this process may write it: enough to tell an operator "owned by root" after a
/// <c>sudo teehouse …</c> left a file the service user cannot open. .NET has no API for a file's owner.
/// </summary>
public static partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const uint StatxUid = 0x8;
    private const int UidOffset = 20; // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid
    private const int WriteOk = 2;

    /// <summary>The user this process runs as (the service user under systemd).</summary>
    public static string CurrentUser => Environment.UserName;

    /// <summary>The owner's user name (or "uid N" without a passwd entry); null where it cannot be read.</summary>
    public static string? NameOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxUid, buffer) != 0) return null;
        var uid = BitConverter.ToUInt32(buffer, UidOffset);
        var entry = GetPwUid(uid);
        var name = entry == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry));
        return name ?? $"uid {uid}";
    }

    /// <summary>access(2) W_OK: false for a file or directory this user cannot write, or on a read-only file system.</summary>
    public static bool IsWritable(string path) => OperatingSystem.IsWindows() || Access(path, WriteOk) == 0;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "getpwuid")]
    private static partial IntPtr GetPwUid(uint uid);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
