namespace Teehouse.Lite.Fleet;

public static class FleetSetup
{
    /// <summary>The ping/reconcile/repair loop; a CLI command that only needs the stores does not start it.</summary>
    public static IServiceCollection AddFleet(this IServiceCollection services)
    {
        services.AddSingleton<TeepodPinger>();
        services.AddHostedService(sp => sp.GetRequiredService<TeepodPinger>());
        return services;
    }
}
