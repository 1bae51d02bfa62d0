namespace Teehouse.Lite.Users;

public sealed class UserRecord
{
    public long Id { get; set; }
    public string Username { get; set; } = "";
    public string Email { get; set; } = "";
    public string Role { get; set; } = Roles.User;
    public string Tier { get; set; } = "FREE";
    public string CreditBalance { get; set; } = "0";
    public string GrantedBalance { get; set; } = "0";
    public string CreatedAt { get; set; } = "";

    public bool IsAdmin => Role == Roles.Admin;
}

public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";

    public static bool IsValid(string role) => role is Admin or User;
}
