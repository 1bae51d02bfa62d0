using System.Diagnostics.Metrics;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Metrics;

/// <summary>The database's bytes on disk: the file plus its WAL, which between checkpoints can be the larger part.</summary>
public sealed class DatabaseSize(Db db)
{
    public Measurement<long> Observe() => new(SizeOf(db.Path) + SizeOf(db.Path + "-wal"));

    private static long SizeOf(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }
}
