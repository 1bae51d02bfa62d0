using Carter;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Cvms;

public static class CvmsSetup
{
    public static IServiceCollection AddCvms(this IServiceCollection services)
    {
        services.AddSingleton<CvmStore>();
        services.AddSingleton<CvmDisks>();
        services.AddSingleton<CvmOperations>();
        services.AddSingleton<Quota>();
        services.AddSingleton<CvmImporter>();
        services.AddSingleton<CvmRestarter>();
        services.AddSingleton<CvmPower>();
        services.AddSingleton<LogCapabilities>();
        services.AddSingleton<AnswerCache>();
        services.AddHostedService(sp => sp.GetRequiredService<CvmRestarter>());
        services.AddSingleton<ICarterModule, CvmsModule>();
        services.AddSingleton<ICarterModule, TeepodCvmsModule>();
        services.AddSingleton<ICarterModule, CvmLogsModule>();
        services.AddSingleton<ICarterModule, CvmStatusModule>();
        services.AddJsonTypes(CvmsJson.Default);
        return services;
    }
}
