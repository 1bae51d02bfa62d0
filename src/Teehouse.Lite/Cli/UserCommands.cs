using System.CommandLine;
using System.Globalization;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Cli;

public static class UserCommands
{
    public static Command Create(CliIo io) => new("user", "List users and set their credits and tier.")
    {
        ListCommand(io), SetCreditsCommand(io), SetTierCommand(io),
    };

    private static Command ListCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var command = new Command("list", "List users with role, tier and credit balance.") { config };
        command.SetAction(async parsed =>
        {
            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var users = await new UserStore(db).ListAsync();
            Table.Write(io.Out, ["ID", "USER", "ROLE", "TIER", "CREDITS", "CREATED"],
                users.Select(u => new[] { u.Id.ToString(CultureInfo.InvariantCulture), u.Username, u.Role, u.Tier, u.CreditBalance, u.CreatedAt }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SetCreditsCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var name = new Argument<string>("NAME") { Description = "User name" };
        var amount = new Argument<string>("AMOUNT") { Description = "New credit balance, e.g. 100 or 12.50 (0 hides all teepods from the user)" };
        var command = new Command("set-credits", "Set a user's credit balance.") { name, amount, config };
        command.SetAction(async parsed =>
        {
            var text = parsed.GetValue(amount)!;
            if (!Credits.TryParse(text, out var balance) || balance < 0)
                throw new CliException($"AMOUNT: '{text}' is not a non-negative number", ExitCodes.Usage);
            var (_, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var username = parsed.GetValue(name)!;
            if (!await new UserStore(db).SetCreditsAsync(username, balance))
                throw new CliException($"no user named '{username}'");
            io.Err.WriteLine($"Credits of '{username}' set to {Credits.Format(balance)}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SetTierCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var name = new Argument<string>("NAME") { Description = "User name" };
        var tier = new Argument<string>("TIER") { Description = "A tier defined under [tiers.<TIER>] in the config" };
        var command = new Command("set-tier", "Set a user's tier (capacity limits come from [tiers.<TIER>]).") { name, tier, config };
        command.SetAction(async parsed =>
        {
            var (settings, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            var username = parsed.GetValue(name)!;
            var tierName = parsed.GetValue(tier)!;
            if (!settings.Tiers.ContainsKey(tierName))
                throw new CliException($"unknown tier '{tierName}'; the config defines: {string.Join(", ", settings.Tiers.Keys.Order(StringComparer.Ordinal))}");
            if (!await new UserStore(db).SetTierAsync(username, tierName))
                throw new CliException($"no user named '{username}'");
            io.Err.WriteLine($"Tier of '{username}' set to {tierName}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
