using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Health;

public static class HealthSetup
{
    public static IServiceCollection AddHealth(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, HealthModule>().AddSingleton<HealthCheck>().AddJsonTypes(HealthJson.Default);
}
