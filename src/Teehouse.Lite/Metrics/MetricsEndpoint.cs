using System.Net;
using Carter;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Metrics;

/// <summary>
/// Where <c>GET /metrics</c> is served. With <c>metrics.listen</c> empty: on the main listener, to admin tokens only (it
/// names teepods and shows load). With an address: only on that separate listener, without a token, for a Prometheus
/// on the same host; the main listener then answers 404 as for any unknown path.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    // Set on every connection of the metrics listener; requests on it never reach the API.
    private static readonly object MetricsConnection = new();

    /// <summary>On the main listener: an ordinary route behind the admin policy (401/403 JSON as elsewhere).</summary>
    public sealed class AdminModule : ICarterModule
    {
        public void AddRoutes(IEndpointRouteBuilder app) =>
            // The exporter maps every method; routing's method metadata makes the others a 405 like any route's.
            app.MapPrometheusScrapingEndpoint(Path)
                .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
                .RequireAuthorization(Policies.Admin);
    }

    /// <summary>A second Kestrel endpoint whose connections carry a marker the pipeline below recognises.</summary>
    public static void Listen(KestrelServerOptions kestrel, ListenAddress address)
    {
        Action<ListenOptions> mark = listen => listen.Use(next => connection =>
        {
            connection.Items[MetricsConnection] = MetricsConnection;
            return next(connection);
        });
        if (address.Host == "localhost") kestrel.ListenLocalhost(address.Port, mark);
        else kestrel.Listen(IPAddress.Parse(address.Host), address.Port, mark);
    }

    /// <summary>
    /// Ahead of the whole API pipeline (no auth, no request log: a scrape every 15 s is not news): a request on the
    /// metrics listener gets the scrape at <see cref="Path"/> and a JSON 404 anywhere else.
    /// </summary>
    public sealed class SeparateListener : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.MapWhen(OnMetricsListener, branch =>
            {
                branch.UseOpenTelemetryPrometheusScrapingEndpoint(
                    meterProvider: null, predicate: c => c.Request.Path == Path && (HttpMethods.IsGet(c.Request.Method) || HttpMethods.IsHead(c.Request.Method)), path: null,
                    configureBranchedPipeline: null, optionsName: null);
                branch.Run(c => ErrorHandling.WriteDetailAsync(c, StatusCodes.Status404NotFound, "Not Found"));
            });
            next(app);
        };

        private static bool OnMetricsListener(HttpContext context) =>
            context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(MetricsConnection) == true;
    }
}
