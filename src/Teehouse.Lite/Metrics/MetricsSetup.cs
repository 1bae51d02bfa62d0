using Carter;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Teehouse.Lite.Infrastructure;
using Teehouse.Lite.Infrastructure.Config;

namespace Teehouse.Lite.Metrics;

public static class MetricsSetup
{
    // The name under which the OpenTelemetry SDK registers itself as a metrics listener.
    private const string OpenTelemetryListener = "OpenTelemetry";

    /// <summary>
    /// The instruments always exist (the pinger records into them); with <c>metrics.enabled</c> the OpenTelemetry SDK
    /// collects them and ASP.NET Core's request duration (by route template and status), and /metrics exports them.
    /// </summary>
    public static IServiceCollection AddTeehouseMetrics(this IServiceCollection services, MetricsConfig config)
    {
        services.AddSingleton<FleetCounts>().AddSingleton<DatabaseSize>().AddSingleton<TeehouseMetrics>();
        if (!config.Enabled) return services.AddMetrics();

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("teehouse", serviceVersion: BuildInfo.Version))
            // No cache: a scrape shows what is true now (a scrape costs one grouped count at most).
            .WithMetrics(m => m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        // Rules rather than AddMeter: AddMeter listens to every meter of that name in the process, a local rule only
        // to the ones this app's IMeterFactory made.
        services.AddMetrics(metrics => metrics
            .EnableMetrics("Microsoft.AspNetCore.Hosting", null, OpenTelemetryListener, MeterScope.Local)
            .EnableMetrics(TeehouseMetrics.MeterName, null, OpenTelemetryListener, MeterScope.Local));
        // The observable gauges are registered when the instruments are made: make them before the first scrape.
        services.AddHostedService<InstrumentsAtStart>();

        if (string.IsNullOrEmpty(config.Listen))
            return services.AddSingleton<ICarterModule, MetricsEndpoint.AdminModule>();
        var address = ListenAddress.TryParse(config.Listen, out var parsed)
            ? parsed
            : throw new ConfigException($"metrics.listen: '{config.Listen}' is not HOST:PORT");
        services.Configure<KestrelServerOptions>(kestrel => MetricsEndpoint.Listen(kestrel, address));
        return services.AddTransient<IStartupFilter, MetricsEndpoint.SeparateListener>();
    }

    /// <summary>Resolving it at start is its whole job: the container makes the instruments for it.</summary>
    private sealed class InstrumentsAtStart : IHostedService
    {
        public InstrumentsAtStart(TeehouseMetrics metrics) => ArgumentNullException.ThrowIfNull(metrics);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
