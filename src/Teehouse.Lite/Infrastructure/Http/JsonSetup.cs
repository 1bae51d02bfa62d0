using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;

namespace Teehouse.Lite.Infrastructure.Http;

public static class JsonSetup
{
    /// <summary>
    /// Adds a feature's source-generated JSON context to what request binding can read. Each feature registers its own,
    /// so the HTTP layer knows no feature's types; they go before any reflection-based resolver, which AOT lacks anyway.
    /// </summary>
    public static IServiceCollection AddJsonTypes(this IServiceCollection services, IJsonTypeInfoResolver resolver) =>
        services.Configure<JsonOptions>(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, resolver));
}
