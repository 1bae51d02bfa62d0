using Teehouse.Lite.Cli;

// Composition lives in Infrastructure/Hosting/ServerApp (the web app) and Cli/ (the subcommands).
return await TeehouseCli.RunAsync(args);
