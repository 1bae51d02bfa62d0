namespace Teehouse.Lite.Pending;

public static class PendingSetup
{
    public static IServiceCollection AddPending(this IServiceCollection services) => services.AddSingleton<PendingStore>();
}
