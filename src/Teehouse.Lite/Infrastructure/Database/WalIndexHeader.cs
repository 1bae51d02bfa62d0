using System.IO.MemoryMappedFiles;

namespace Teehouse.Lite.Infrastructure.Database;

/// <summary>
/// A read-only view of the WAL-index header at the start of the database's <c>-shm</c> file
/// (https://www.sqlite.org/walformat.html): two copies of a 48-byte header that every commit rewrites (its
/// <c>iChange</c> counter and <c>mxFrame</c> move), in memory shared by every process that has the database open.
/// Equal bytes mean no commit happened since they were copied; different bytes mean one may have, and the caller asks
/// SQLite. Reading it takes no lock and no system call, where asking SQLite costs a read transaction.
/// </summary>
internal sealed unsafe class WalIndexHeader : IDisposable
{
    /// <summary>Both header copies.</summary>
    public const int Length = 96;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;

    private WalIndexHeader(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        _file = file;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + view.PointerOffset;
    }

    /// <summary>The header of <paramref name="databasePath"/>'s wal-index; null when there is none to map (not WAL, no -shm yet).</summary>
    public static WalIndexHeader? TryOpen(string databasePath)
    {
        var path = databasePath + "-shm";
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length < Length) return null;
            var file = MemoryMappedFile.CreateFromFile(
                new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete),
                mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            return new WalIndexHeader(file, file.CreateViewAccessor(0, Length, MemoryMappedFileAccess.Read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    public ReadOnlySpan<byte> Current => new(_pointer, Length);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
