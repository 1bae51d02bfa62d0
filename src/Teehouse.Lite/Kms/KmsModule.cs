using System.Globalization;
using Carter;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Kms;

/// <summary>
/// The KMSs of <c>[[kms]]</c> and the env-encryption keys they hand out, for any signed-in user; for admins, the k256
/// keys those are verified against (<c>/kms/pins</c>, a literal segment, so it wins over <c>/kms/{kms}</c>; the config
/// refuses a KMS id or slug "pins").
/// </summary>
public sealed class KmsModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100; // `phala kms list` asks for page_size=100

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/kms").RequireAuthorization();
        group.MapGet("/", List).Produces<KmsListResponse>();
        group.MapGet($"/{ConfigValidator.ReservedKmsName}", Pins).RequireAuthorization(Policies.Admin).Produces<KmsPinsResponse>();
        group.MapGet("/{kms}", Get).Produces<KmsInfo>();
        group.MapGet("/{kms}/pubkey/{appId}", GetPubkey).Produces<EnvEncryptPubkeyResponse>();
    }

    /// <summary><c>?page=&amp;page_size=&amp;is_onchain=</c>; on-chain = has a chain id. Bad values are a 422 naming each.</summary>
    private static async Task<IResult> List(HttpRequest request, KmsCatalog catalog)
    {
        var v = new Validator("query");
        var page = ParseInt(request, "page", 1, min: 1, max: null, v);
        var pageSize = ParseInt(request, "page_size", DefaultPageSize, min: 1, max: MaxPageSize, v);
        var onChain = ParseBool(request, "is_onchain", v);
        v.ThrowIfInvalid();

        var all = (await catalog.ListAsync()).Where(k => onChain is null || (k.ChainId is not null) == onChain).ToList();
        var size = (int)pageSize;
        var pages = (all.Count + size - 1) / size;
        var items = page > pages ? [] : all.Skip((int)(page - 1) * size).Take(size).ToList();
        return TypedResults.Json(new KmsListResponse(items, all.Count, page, size, pages), KmsJson.Default.KmsListResponse);
    }

    private static async Task<IResult> Get(string kms, KmsCatalog catalog)
    {
        var entry = await catalog.FindAsync(kms) ?? throw NotFound(kms);
        return TypedResults.Json(KmsInfo.From(entry), SharedJson.Default.KmsInfo);
    }

    private static async Task<IResult> GetPubkey(string kms, string appId, KmsCatalog catalog, EnvEncryptKeys keys, CancellationToken ct)
    {
        if (!AppIds.TryNormalize(appId, out var normalized))
            throw ValidationException.For("path", "app_id", "App ID must be 40 hex characters, optionally prefixed with 0x");
        var entry = await catalog.FindAsync(kms) ?? throw NotFound(kms);
        var key = await keys.GetAsync(entry, normalized, ct);
        return TypedResults.Json(key, KmsJson.Default.EnvEncryptPubkeyResponse);
    }

    /// <summary>Every KMS of the catalog with its pin, then pins recorded for URLs the catalog no longer has. Reads only.</summary>
    private static async Task<IResult> Pins(KmsCatalog catalog, KmsPins pins, KmsPinStore store)
    {
        var recorded = (await store.ListAsync()).ToDictionary(r => r.Url, StringComparer.Ordinal);
        var items = new List<KmsPinView>();
        foreach (var entry in await catalog.EntriesAsync())
        {
            var key = KmsPinStore.Key(entry.Url);
            var row = recorded.GetValueOrDefault(key);
            recorded.Remove(key);
            items.Add(pins.ConfiguredFor(entry) is { } configured
                ? new KmsPinView(entry.Id, entry.Url, Infrastructure.Crypto.K256.TryParseCompressed(configured, out var k) ? k : configured,
                    "config", null, null, null, null, null)
                : View(entry.Id, entry.Url, row));
        }
        items.AddRange(recorded.Values.Select(r => View(null, r.Url, r)));
        return TypedResults.Json(new KmsPinsResponse(items, items.Count), KmsJson.Default.KmsPinsResponse);
    }

    private static KmsPinView View(string? id, string url, KmsPinRecord? row) => row is null
        ? new KmsPinView(id, url, null, null, null, null, null, null, null)
        : new KmsPinView(id, url, row.K256Pubkey, "first_use", row.LearnedAt, row.LearnedFrom,
            row.LastMismatchK256Pubkey, row.LastMismatchAt, row.LastMismatchFrom);

    private static ApiException NotFound(string kms) => ApiException.NotFound($"KMS '{kms}' not found");

    /// <summary>FastAPI's int query parameter: the last value wins; absent means <paramref name="fallback"/>.</summary>
    private static long ParseInt(HttpRequest request, string name, long fallback, long min, long? max, Validator v)
    {
        if (!request.Query.TryGetValue(name, out var values) || values.Count == 0) return fallback;
        var text = values[^1]?.Trim();
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            v.Require(false, name, "Input should be a valid integer, unable to parse string as an integer", "int_parsing");
            return fallback;
        }
        if (value < min)
        {
            v.Require(false, name, $"Input should be greater than or equal to {min}", "greater_than_equal");
            return fallback;
        }
        if (value > max)
        {
            v.Require(false, name, $"Input should be less than or equal to {max}", "less_than_equal");
            return fallback;
        }
        return value;
    }

    /// <summary>FastAPI's bool query parameter (pydantic's accepted spellings); absent means no filter.</summary>
    private static bool? ParseBool(HttpRequest request, string name, Validator v)
    {
        if (!request.Query.TryGetValue(name, out var values) || values.Count == 0) return null;
        switch (values[^1]?.Trim().ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "y" or "on" or "t":
                return true;
            case "false" or "0" or "no" or "n" or "off" or "f":
                return false;
            default:
                v.Require(false, name, "Input should be a valid boolean, unable to interpret input", "bool_parsing");
                return null;
        }
    }
}
