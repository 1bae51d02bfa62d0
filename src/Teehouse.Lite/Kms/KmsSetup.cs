using Carter;

namespace Teehouse.Lite.Kms;

public static class KmsSetup
{
    public static IServiceCollection AddKms(this IServiceCollection services) =>
        services.AddSingleton<ICarterModule, KmsModule>();
}
