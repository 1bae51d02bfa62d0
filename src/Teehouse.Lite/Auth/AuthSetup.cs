using Carter;
using Microsoft.AspNetCore.Authentication;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Auth;

public static class Policies
{
    public const string Admin = "admin";
}

public static class AuthSetup
{
    public static IServiceCollection AddTeehouseAuth(this IServiceCollection services)
    {
        services.AddSingleton<TokenStore>();
        services.AddSingleton<TokenCache>();
        services.AddSingleton<ICarterModule, AuthModule>();
        services.AddJsonTypes(AuthJson.Default);
        services.AddSingleton<UserStore>();
        services.AddScoped<CurrentUser>();
        services.AddAuthentication(ApiTokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        return services;
    }
}
