using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Deploy;

public static class DeploySetup
{
    public static IServiceCollection AddDeploy(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, DeployModule>().AddJsonTypes(DeployJson.Default);
}
