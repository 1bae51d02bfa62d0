using System.Diagnostics.Metrics;
using System.Globalization;
using Teehouse.Lite.Infrastructure;

namespace Teehouse.Lite.Metrics;

/// <summary>
/// Teehouse Lite's own instruments (the HTTP ones are ASP.NET Core's <c>Microsoft.AspNetCore.Hosting</c> meter). The
/// meter comes from the container's <see cref="IMeterFactory"/>, so it belongs to this app alone: the exporter is told
/// to listen to local meters only, and two apps in one process (the tests) never report each other's numbers.
/// </summary>
public sealed class TeehouseMetrics
{
    public const string MeterName = "Teehouse.Lite";

    // From a LAN round trip to a vmm listing a thousand VMs, and up to the default 10 s request timeout.
    private static readonly double[] PingBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Histogram<double> _pingDuration;

    public TeehouseMetrics(IMeterFactory meters, FleetCounts counts, DatabaseSize databaseSize)
    {
        var meter = meters.Create(MeterName, BuildInfo.Version);
        _pingDuration = meter.CreateHistogram(
            "teehouse.teepod.ping.duration", "s",
            "How long a ping of a teepod's dstack-vmm took (version, meta, images and its VM list), by teepod and result",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PingBuckets });
        meter.CreateObservableGauge("teehouse.teepods", counts.Teepods, "{teepod}",
            "Teepods by status: online and offline as the last ping saw them (enabled ones), disabled");
        meter.CreateObservableGauge("teehouse.cvms", counts.Cvms, "{cvm}",
            "CVMs recorded in the database by their last known status (gone ones are not counted)");
        meter.CreateObservableGauge("teehouse.database.size", databaseSize.Observe, "By",
            "Size of the SQLite database on disk: the file and its write-ahead log");
    }

    /// <summary>One ping of a teepod: the id is the stable label, the name the readable one.</summary>
    public void RecordPing(long teepodId, string teepodName, TimeSpan elapsed, bool ok) =>
        _pingDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("teepod_id", teepodId.ToString(CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("teepod", teepodName),
            new KeyValuePair<string, object?>("result", ok ? "ok" : "error"));
}
