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
/// <see cref="InstanceTypes"/>; their family is the id's prefix, "tdx"); the images are <see cref="OsImagesModule"/>'s.
/// </summary>
public sealed class CatalogModule : ICarterModule
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").RequireAuthorization();
        group.MapGet("/instance-types", Families).Produces<InstanceTypeFamilies>();
        group.MapGet("/instance-types/{family}", Family).Produces<FamilyInstanceTypes>();
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
}
