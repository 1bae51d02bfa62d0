using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Teepods;

public static class TeepodsSetup
{
    public static IServiceCollection AddTeepods(this IServiceCollection services)
    {
        services.AddSingleton<TeepodStore>();
        services.AddSingleton<TeepodProbe>();
        services.AddSingleton<TeepodReadModels>();
        services.AddSingleton<KmsCatalog>();
        services.AddSingleton<ICarterModule, TeepodsModule>();
        services.AddJsonTypes(TeepodsJson.Default);
        return services;
    }
}
