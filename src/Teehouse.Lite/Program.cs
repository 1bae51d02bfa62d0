using Teehouse.Lite.Cli;

// Composition lives in Hosting/ServerApp (the web app) and Cli/ (the subcommands).
return await TeehouseCli.RunAsync(args);
