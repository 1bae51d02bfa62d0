using System.Globalization;
using System.Text.Json;
using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Deploy;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Catalog;

/// <summary>
/// What a deploy can choose from: <c>GET /instance-types</c> and <c>/instance-types/{family}</c> (the table of
/// <see cref="InstanceTypes"/>; their family is the id's prefix, "tdx"), and <c>GET /os-images</c> (the images the
/// enabled teepods last reported, one entry per name; no image hash is recorded, so <c>os_image_hash</c> is null).
/// </summary>
public sealed class CatalogModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").RequireAuthorization();
        group.MapGet("/instance-types", Families);
        group.MapGet("/instance-types/{family}", Family);
        group.MapGet("/os-images", OsImages);
    }

    private static IResult Families() =>
        TypedResults.Json(new InstanceTypeFamilies([.. All().GroupBy(t => t.Family!).Select(g => new InstanceTypeFamily(g.Key, [.. g], g.Count()))]),
            CatalogJson.Default.InstanceTypeFamilies);

    private static IResult Family(string family)
    {
        var items = All().Where(t => string.Equals(t.Family, family, StringComparison.OrdinalIgnoreCase)).ToList();
        if (items.Count == 0) throw ApiException.NotFound($"Instance type family {family} not found");
        return TypedResults.Json(new FamilyInstanceTypes(items, items.Count, items[0].Family!), CatalogJson.Default.FamilyInstanceTypes);
    }

    private static List<InstanceTypeResponse> All() =>
    [
        .. InstanceTypes.All.Select(t => new InstanceTypeResponse(
            t.Id, t.Id, $"{t.Vcpu} vCPU, {t.MemoryMb / 1024} GB memory", t.Vcpu, t.MemoryMb, "0", RequiresGpu: false,
            t.DefaultDiskGb, FamilyOf(t.Id))),
    ];

    private static string FamilyOf(string id) => id.Split('.')[0];

    private static async Task<IResult> OsImages(
        string? page, [FromQuery(Name = "page_size")] string? pageSize, [FromQuery(Name = "is_dev")] string? isDev, TeepodStore teepods)
    {
        var v = new Validator("query");
        var pageNo = v.Int("page", page, 1, int.MaxValue, 1);
        var size = v.Int("page_size", pageSize, 1, MaxPageSize, DefaultPageSize);
        bool? dev = null;
        if (!string.IsNullOrWhiteSpace(isDev))
        {
            v.Require(bool.TryParse(isDev.Trim(), out var parsed), "is_dev", "Input should be a valid boolean", "bool_parsing");
            dev = parsed;
        }
        v.ThrowIfInvalid();

        var images = new SortedDictionary<string, OsImageResponse>(StringComparer.Ordinal);
        foreach (var t in await teepods.ListAsync(includeDisabled: false))
        foreach (var i in Stored(t.ImagesJson))
            images.TryAdd(i.Name, new OsImageResponse(i.Name, i.Name, i.Version, OsImageHash: null, i.IsDev,
                RequiresGpu: i.Name.Contains("nvidia", StringComparison.OrdinalIgnoreCase)));
        var all = images.Values.Where(i => dev is null || i.IsDev == dev).ToList();
        var items = all.Skip((int)Math.Min((long)(pageNo - 1) * size, int.MaxValue)).Take(size).ToList();
        return TypedResults.Json(new OsImagePage(items, all.Count, pageNo, size, (all.Count + size - 1) / size), CatalogJson.Default.OsImagePage);
    }

    private static List<StoredImage> Stored(string json)
    {
        try { return JsonSerializer.Deserialize(json, TeepodsJson.Default.ListStoredImage) ?? []; }
        catch (JsonException) { return []; }
    }

}
