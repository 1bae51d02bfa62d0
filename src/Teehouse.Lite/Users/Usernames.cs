using System.Text.RegularExpressions;

namespace Teehouse.Lite.Users;

public static partial class Usernames
{
    public const string Rule = "1-64 characters: letters, digits, '.', '_', '-', '@'";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex Pattern();
}
