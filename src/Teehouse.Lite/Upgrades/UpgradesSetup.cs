using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Upgrades;

public static class UpgradesSetup
{
    public static IServiceCollection AddUpgrades(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, CvmUpgradesModule>().AddJsonTypes(UpgradesJson.Default);
}
