using System.CommandLine;
using System.Globalization;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Cli;

public static class TokenCommands
{
    public static Command Create(CliIo io) => new("token", "Create, list and revoke API tokens.")
    {
        CreateCommand(io), ListCommand(io), RevokeCommand(io),
    };

    private static Command CreateCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var user = new Option<string>("--user", "-u") { Description = "User the token belongs to (created if missing)", Required = true, HelpName = "NAME" };
        var role = new Option<string?>("--role") { Description = "Role for a new user (default: user)", HelpName = "admin|user" };
        role.AcceptOnlyFromAmong(Roles.Admin, Roles.User);
        var name = new Option<string?>("--name") { Description = "A label to recognise the token by", HelpName = "LABEL" };
        var ifNone = new Option<bool>("--if-none") { Description = "Do nothing if the user already has an active token (for first-run scripts)" };
        var command = new Command("create", "Create a token and print it alone on stdout (it is shown only once).")
        {
            user, role, name, ifNone, config,
        };
        command.SetAction(async parsed =>
        {
            var username = parsed.GetValue(user)!.Trim();
            if (!Usernames.IsValid(username))
                throw new CliException($"--user: '{username}' is not a valid user name ({Usernames.Rule})", ExitCodes.Usage);
            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var users = new UserStore(db);
            var tokens = new TokenStore(db);
            var wantedRole = parsed.GetValue(role);
            var (record, created) = await users.GetOrCreateAsync(username, wantedRole ?? Roles.User);
            if (!created && wantedRole is not null && wantedRole != record.Role)
                throw new CliException($"user '{record.Username}' already exists with role '{record.Role}', not '{wantedRole}'");
            if (created) io.Err.WriteLine($"Created user '{record.Username}' with role '{record.Role}'.");
            if (parsed.GetValue(ifNone) && await tokens.CountActiveAsync(record.Id) > 0)
            {
                io.Err.WriteLine($"User '{record.Username}' already has an active token; none created.");
                return ExitCodes.Ok;
            }
            var (token, secret) = await tokens.CreateAsync(record, parsed.GetValue(name) ?? "");
            io.Out.WriteLine(secret);
            io.Err.WriteLine($"Token {token.Id} for '{record.Username}' ({record.Role}). Store it now: it cannot be shown again.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ListCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var all = new Option<bool>("--all") { Description = "Include revoked tokens" };
        var command = new Command("list", "List tokens (never the secrets).") { all, config };
        command.SetAction(async parsed =>
        {
            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var tokens = await new TokenStore(db).ListAsync(parsed.GetValue(all));
            var rows = tokens.Select(t => new[]
            {
                t.Id.ToString(CultureInfo.InvariantCulture), t.Username, t.Role, t.TokenPrefix + "…", t.Name,
                t.CreatedAt, t.LastUsedAt ?? "never", t.RevokedAt is null ? "active" : $"revoked {t.RevokedAt}",
            });
            Table.Write(io.Out, ["ID", "USER", "ROLE", "PREFIX", "NAME", "CREATED", "LAST USED", "STATE"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RevokeCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var id = new Argument<long>("ID") { Description = "Token id as shown by 'token list'" };
        var command = new Command("revoke", "Revoke a token; requests using it get 401 at once.") { id, config };
        command.SetAction(async parsed =>
        {
            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var tokenId = parsed.GetValue(id);
            if (!await new TokenStore(db).RevokeAsync(tokenId))
                throw new CliException($"no active token with id {tokenId}");
            io.Err.WriteLine($"Token {tokenId} revoked.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
