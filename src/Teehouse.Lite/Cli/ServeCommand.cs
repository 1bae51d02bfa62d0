using System.CommandLine;
using Teehouse.Lite.Hosting;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Hosting;
using Teehouse.Lite.Infrastructure;

namespace Teehouse.Lite.Cli;

public static class ServeCommand
{
    public static Command Create(CliIo io)
    {
        var config = CommonOptions.Config();
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT to bind, overriding server.listen", HelpName = "HOST:PORT" };
        var command = new Command("serve", "Run the REST API (default 127.0.0.1:8080).") { config, listen };
        command.SetAction(async (parsed, ct) =>
        {
            var listenValue = parsed.GetValue(listen);
            if (listenValue is not null && !ListenAddress.TryParse(listenValue, out _))
                throw new CliException($"--listen: '{listenValue}' is not HOST:PORT (e.g. 127.0.0.1:8080)", ExitCodes.Usage);

            var settings = ConfigLoader.Load(parsed.GetValue(config));
            // Before anything else touches the database: a second server would run the pinger and restarter too.
            using var serverLock = ServerLock.Acquire(settings.Database.Path);
            await using var app = await ServerApp.BuildAsync(settings, new ServerOptions(listenValue, Warnings: io.Err));
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Teehouse");
            await StartAsync(app, listenValue ?? settings.Server.Listen, ct);
            logger.LogInformation("Teehouse Lite {Version} listening on {Url}; database {Database}; config {Config}",
                Infrastructure.BuildInfo.Version, app.BoundAddress(), settings.Database.Path, settings.SourcePath ?? "(built-in defaults)");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The address was checked before the host was built, but another process can take it in between: Kestrel's
    /// failure is then the same one line, after the background services the host had started are stopped.
    /// </summary>
    private static async Task StartAsync(WebApplication app, string listen, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception e) when (StartupErrors.FindSocketError(e) is { } socket && ListenAddress.TryParse(listen, out var address))
        {
            await app.StopAsync(CancellationToken.None);
            throw StartupErrors.Listen(address, socket);
        }
    }
}
