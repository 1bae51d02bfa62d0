using Teehouse.Lite.Users;

namespace Teehouse.Lite.Auth;

// GET /auth/me in the two shapes the official SDK validates, chosen by the X-Phala-Version header.

public sealed record CurrentUserV20260121(MeUser User, MeWorkspace Workspace, MeCredits Credits);

public sealed record MeUser(
    string Username, string Email, string Role, string Avatar,
    bool EmailVerified, bool TotpEnabled, bool HasBackupCodes, bool FlagHasPassword);

public sealed record MeWorkspace(string Id, string Name, string? Slug, string Tier, string Role, string? Avatar);

public sealed record MeCredits(string Balance, string GrantedBalance, bool IsPostPaid, string? OutstandingAmount);

public sealed record CurrentUserV20251028(
    string Username, string Email, decimal Credits, decimal GrantedCredits, string Avatar, string TeamName, string TeamTier);
