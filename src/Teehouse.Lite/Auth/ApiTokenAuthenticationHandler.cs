using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Auth;

/// <summary>
/// Accepts <c>Authorization: Bearer &lt;token&gt;</c> (as the contract shows) and <c>X-API-Key: &lt;token&gt;</c> (what the
/// official SDK and CLI send). Missing or unknown token: 401; known token without the needed role: 403.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenCache tokens,
    CurrentUser currentUser)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    private const string PresentedButInvalid = "teehouse.invalid_token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request);
        if (token is null) return AuthenticateResult.NoResult();

        var user = ApiTokens.LooksValid(token) ? await tokens.FindUserAsync(token) : null;
        if (user is null)
        {
            Context.Items[PresentedButInvalid] = true;
            return AuthenticateResult.Fail("invalid API token");
        }

        currentUser.User = user;
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, user.Username),
                new Claim(ClaimTypes.Role, user.Role),
            ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = Context.Items.ContainsKey(PresentedButInvalid) ? "Invalid or revoked API token" : "Not authenticated";
        return ErrorHandling.WriteDetailAsync(Context, StatusCodes.Status401Unauthorized, detail, keepHeaders: true);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandling.WriteDetailAsync(Context, StatusCodes.Status403Forbidden, "This action requires the admin role");

    internal static string? ReadToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var bearer = authorization["Bearer ".Length..].Trim();
            if (bearer.Length > 0) return bearer;
        }
        var apiKey = request.Headers["X-API-Key"].ToString().Trim();
        return apiKey.Length > 0 ? apiKey : null;
    }
}
