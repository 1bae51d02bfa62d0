using Carter;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Auth;

public sealed class AuthModule : ICarterModule
{
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/auth").RequireAuthorization();
        group.MapGet("/me", GetMe).Produces<CurrentUserV20260121>();
    }

    private static IResult GetMe(HttpRequest request, CurrentUser current)
    {
        var user = current.User!;
        if (ApiVersion.Of(request) == ApiVersion.V20251028)
        {
            return TypedResults.Json(new CurrentUserV20251028(
                user.Username, user.Email, Credits.ParseStored(user.CreditBalance), Credits.ParseStored(user.GrantedBalance),
                Avatar: "", TeamName: user.Username, TeamTier: user.Tier), AuthJson.Default.CurrentUserV20251028);
        }
        // Teehouse Lite has no teams: each user is the owner of a one-person workspace named after them.
        return TypedResults.Json(new CurrentUserV20260121(
            new MeUser(user.Username, user.Email, user.Role, Avatar: "", EmailVerified: false, TotpEnabled: false,
                HasBackupCodes: false, FlagHasPassword: false),
            new MeWorkspace($"ws-{user.Id}", user.Username, user.Username.ToLowerInvariant(), user.Tier, "owner", null),
            new MeCredits(user.CreditBalance, user.GrantedBalance, IsPostPaid: false, OutstandingAmount: null)),
            AuthJson.Default.CurrentUserV20260121);
    }
}
