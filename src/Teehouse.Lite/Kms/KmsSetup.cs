using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Kms;

public static class KmsSetup
{
    public static IServiceCollection AddKms(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, KmsModule>().AddJsonTypes(KmsJson.Default);
}
