using System.Net;
using Carter;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Json;
using Serilog;
using Teehouse.Lite.Apps;
using Teehouse.Lite.Audit;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Catalog;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Docs;
using Teehouse.Lite.Fleet;
using Teehouse.Lite.Health;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Files;
using Teehouse.Lite.Infrastructure.Hosting;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Infrastructure.Processes;
using Teehouse.Lite.Infrastructure.Logging;
using Teehouse.Lite.Kms;
using Teehouse.Lite.Metrics;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Upgrades;

namespace Teehouse.Lite.Hosting;

/// <summary>Options the command line (or a test) sets on top of the TOML file.</summary>
public sealed record ServerOptions(string? ListenOverride = null, bool ConsoleLog = true, TextWriter? Warnings = null);

/// <summary>The web application's composition root: services, middleware and the Carter modules.</summary>
public static class ServerApp
{
    public static async Task<WebApplication> BuildAsync(TeehouseConfig config, ServerOptions options)
    {
        var listen = ListenAddress.TryParse(options.ListenOverride ?? config.Server.Listen, out var parsed)
            ? parsed
            : throw new ConfigException($"--listen: '{options.ListenOverride}' is not HOST:PORT");
        var warnings = options.Warnings ?? Console.Error;
        var certificate = ListenerTls.Load(config.Server);
        ListenProbe.EnsureBindable(listen);
        if (ListenerTls.PlainHttpWarning(listen, certificate is not null) is { } plainHttp) warnings.WriteLine($"teehouse: {plainHttp}");

        var db = new Db(config.Database.Path, config.Database.BusyTimeoutMs);
        await Migrator.MigrateAsync(db);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        var logger = LoggingSetup.Create(config.Log, options.ConsoleLog, w => warnings.WriteLine($"teehouse: warning: {w}"));
        foreach (var warning in PrivateFiles.LooseDatabaseModes(db.Path))
            logger.ForContext(typeof(PrivateFiles)).Warning("{Warning}", warning);
        builder.Services.AddSerilog(logger, dispose: true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = config.Server.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            void Endpoint(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions endpoint) { if (certificate is not null) endpoint.UseHttps(certificate); }
            if (listen.Host == "localhost") kestrel.ListenLocalhost(listen.Port, Endpoint);
            else kestrel.Listen(IPAddress.Parse(listen.Host), listen.Port, Endpoint);
        });

        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(db);
        // Built by the container, so the container disposes it (and its connection) with the app.
        builder.Services.AddSingleton(_ => new DbChanges(db));
        builder.Services.Configure<JsonOptions>(json =>
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddJsonTypes(InfrastructureJson.Default).AddJsonTypes(SharedJson.Default);
        // Bad input must become a JSON 4xx from our error handler, not a silent empty 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddSingleton(new DstackClientFactory(TimeSpan.FromMilliseconds(config.Vmm.RequestTimeoutMs)));
        builder.Services.AddSingleton(new LocalTools(config.Tools.SearchPath));
        AddCarter(builder.Services);
        // Each feature registers its own services, routes and JSON types.
        builder.Services
            .AddTeehouseAuth()
            .AddHealth()
            .AddTeepods()
            .AddKms()
            .AddPending()
            .AddCvms()
            .AddDeploy()
            .AddApps()
            .AddCatalog()
            .AddUpgrades()
            .AddFleet()
            .AddAudit()
            .AddTeehouseMetrics(config.Metrics)
            .AddDocs();
        EphemeralDataProtection.Apply(builder.Services);

        var app = builder.Build();
        app.UseJsonErrors();
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = logger;
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";
        });
        app.UseApiErrors();
        app.UseAuthentication();
        app.UseAudit();
        app.UseAuthorization();
        app.MapCarter();
        return app;
    }

    /// <summary>
    /// Carter's assembly scan does not survive AOT (no DependencyContext, trimmed constructors), so the catalogue is
    /// empty and each feature registers its own modules (its Add… extension).
    /// </summary>
    private static void AddCarter(IServiceCollection services) =>
        services.AddCarter(new DependencyContextAssemblyCatalog([typeof(ServerApp).Assembly]), c =>
        {
            c.WithEmptyModules();
            c.WithEmptyValidators();
            c.WithEmptyResponseNegotiators();
        });

    /// <summary>The address Kestrel actually bound (port 0 in the config becomes the real port).</summary>
    public static Uri BoundAddress(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }
}
