using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Audit;

public static class AuditSetup
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        services.AddSingleton<AuditRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditRetention>());
        services.AddSingleton<ICarterModule, AuditModule>();
        services.AddJsonTypes(AuditJson.Default);
        return services;
    }

    /// <summary>After authentication (the caller is known), before authorization (its 401/403 are recorded too).</summary>
    public static IApplicationBuilder UseAudit(this IApplicationBuilder app) => app.Use(AuditMiddleware.InvokeAsync);
}
