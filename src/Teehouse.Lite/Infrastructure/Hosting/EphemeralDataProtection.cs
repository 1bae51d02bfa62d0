using Microsoft.AspNetCore.DataProtection;

namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// Nothing is encrypted with data protection (no cookies, no antiforgery), but authentication registers it. An
/// in-memory provider alone is not enough: the hosted service that loads the key ring at start still builds the XML
/// key manager, which creates ~/.aspnet/DataProtection-Keys (a systemd DynamicUser has no home) and warns "No XML
/// encryptor configured". Applied after every feature has registered, so no later AddDataProtection brings it back.
/// </summary>
public static class EphemeralDataProtection
{
    private const string KeyRingLoader = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    public static void Apply(IServiceCollection services)
    {
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationType?.FullName == KeyRingLoader)
                services.RemoveAt(i);
        }
    }
}
