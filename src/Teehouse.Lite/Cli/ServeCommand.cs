using System.CommandLine;
using Teehouse.Lite.Hosting;
using Teehouse.Lite.Infrastructure.Config;
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
            await using var app = await ServerApp.BuildAsync(settings, new ServerOptions(listenValue));
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Teehouse");
            await app.StartAsync(ct);
            logger.LogInformation("Teehouse Lite {Version} listening on {Url}; database {Database}; config {Config}",
                Infrastructure.BuildInfo.Version, app.BoundAddress(), settings.Database.Path, settings.SourcePath ?? "(built-in defaults)");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return command;
    }
}
