using Teehouse.Lite.Cli;
using Teehouse.Lite.Infrastructure.Files;

// Composition lives in Hosting/ServerApp (the web app) and Cli/ (the subcommands).
// First, before any file exists: the database and logs hold secrets, whatever umask the operator's shell has.
PrivateFiles.RestrictUmask();
return await TeehouseCli.RunAsync(args);
