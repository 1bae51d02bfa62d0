using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Apps;

public static class AppsSetup
{
    public static IServiceCollection AddApps(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, AppsModule>().AddJsonTypes(AppsJson.Default);
}
