using System.Diagnostics.Metrics;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Metrics;

/// <summary>
/// The numbers behind the teepod and CVM gauges: one grouped count of both tables, taken again only when the database
/// changed (<see cref="DbChanges"/>), so both gauges of a scrape share it and scraping an idle server asks nothing.
/// </summary>
public sealed class FleetCounts(Db db, DbChanges changes, ILogger<FleetCounts> logger)
{
    // Disabled teepods are not pinged, so their online/offline would be stale: they are counted apart.
    private const string Sql = """
        SELECT 'teepods' AS kind, CASE WHEN enabled = 0 THEN 'disabled' ELSE status END AS status, COUNT(*) AS count
        FROM teepods GROUP BY 2
        UNION ALL
        SELECT 'cvms', status, COUNT(*) FROM cvms WHERE status <> 'gone' GROUP BY status
        """;

    // Always reported, so `teehouse_teepods{status="offline"} > 0` alerts on a fleet that has none yet as well.
    private static readonly string[] TeepodStatuses = ["online", "offline", "disabled"];

    private Snapshot? _last;

    public IEnumerable<Measurement<long>> Teepods() => Current().Teepods;

    public IEnumerable<Measurement<long>> Cvms() => Current().Cvms;

    private Snapshot Current()
    {
        try
        {
            var epoch = changes.Current().Epoch;
            if (Volatile.Read(ref _last) is { } last && last.Epoch == epoch) return last;
            using var connection = db.Open();
            var rows = Read(connection);
            var teepods = TeepodStatuses
                .Select(s => Measure(rows.Where(r => r.Kind == "teepods" && r.Status == s).Sum(r => r.Count), s))
                .ToArray();
            var cvms = rows.Where(r => r.Kind == "cvms").Select(r => Measure(r.Count, r.Status)).ToArray();
            var snapshot = new Snapshot(epoch, teepods, cvms);
            Volatile.Write(ref _last, snapshot);
            return snapshot;
        }
        catch (Exception e)
        {
            // A scrape must not fail because the database is busy or broken: the gauges are left out of this one
            // (the database size and the HTTP metrics still show), and /healthz tells what is wrong.
            logger.LogWarning(e, "Metrics could not count teepods and CVMs");
            return Snapshot.Empty;
        }
    }

    private static Measurement<long> Measure(long count, string status) =>
        new(count, new KeyValuePair<string, object?>("status", status));

    private sealed record Snapshot(long Epoch, Measurement<long>[] Teepods, Measurement<long>[] Cvms)
    {
        public static readonly Snapshot Empty = new(-1, [], []);
    }

    // A plain reader: Dapper.AOT does not intercept a synchronous Query of a private row type, and Dapper's
    // fallback emits IL, which the native binary cannot (PlatformNotSupportedException at the first scrape).
    private static List<CountRow> Read(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        using var reader = command.ExecuteReader();
        var rows = new List<CountRow>();
        while (reader.Read()) rows.Add(new CountRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }

    private sealed record CountRow(string Kind, string Status, long Count);
}
