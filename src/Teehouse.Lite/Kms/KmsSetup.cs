using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Kms;

public static class KmsSetup
{
    public static IServiceCollection AddKms(this IServiceCollection services) =>
        services.AddSingleton<KmsPinStore>()
            .AddSingleton<KmsPins>()
            .AddSingleton<EnvEncryptKeys>()
            .AddSingleton<ICarterModule, KmsModule>()
            .AddJsonTypes(KmsJson.Default);
}
