using Carter;

namespace Teehouse.Lite.Apps;

public static class AppsSetup
{
    public static IServiceCollection AddApps(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, AppsModule>();
}
