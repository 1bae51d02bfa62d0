using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Catalog;

public static class CatalogSetup
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddSingleton<ICarterModule, CatalogModule>();
        services.AddSingleton<ICarterModule, OsImagesModule>();
        services.AddSingleton<ImageMeasurements>();
        services.AddSingleton<ICarterModule, WorkspacesModule>();
        services.AddJsonTypes(CatalogJson.Default);
        return services;
    }
}
