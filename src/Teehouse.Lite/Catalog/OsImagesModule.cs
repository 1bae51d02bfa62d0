using Carter;
using Microsoft.AspNetCore.Mvc;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Infrastructure.Processes;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Catalog;

/// <summary>
/// <c>GET /os-images</c>: the images the enabled teepods last reported, one entry per name, with the os_image_hash
/// the pinger read from the image's digest.txt where the teepod is on this host (null elsewhere: ListImages does not
/// carry it). With <c>vcpu</c> and <c>memory_mb</c>, each local image also carries the TDX measurements dstack-mr
/// computes for a CVM of that size; <c>GET /os-images/{name}/measurements</c> asks for one image and says why not.
/// </summary>
public sealed class OsImagesModule : ICarterModule
{
    public const int MaxVcpu = 256;
    public const int MinMemoryMb = 256;
    public const int MaxMemoryMb = 4 * 1024 * 1024;

    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/os-images").RequireAuthorization();
        group.MapGet("", List).Produces<OsImagePage>();
        group.MapGet("/{name}/measurements", Measurements).Produces<ImageMeasurementResponse>();
    }

    private static async Task<IResult> List(
        string? page, [FromQuery(Name = "page_size")] string? pageSize, [FromQuery(Name = "is_dev")] string? isDev,
        string? vcpu, [FromQuery(Name = "memory_mb")] string? memoryMb,
        TeepodReadModels teepods, ImageMeasurements measurements, ILogger<OsImagesModule> logger, CancellationToken ct)
    {
        var v = new Validator("query");
        var pageNo = v.Int("page", page, 1, int.MaxValue, 1);
        var size = v.Int("page_size", pageSize, 1, CatalogModule.MaxPageSize, CatalogModule.DefaultPageSize);
        bool? dev = null;
        if (!string.IsNullOrWhiteSpace(isDev))
        {
            v.Require(bool.TryParse(isDev.Trim(), out var parsed), "is_dev", "Input should be a valid boolean", "bool_parsing");
            dev = parsed;
        }
        var machine = Size(v, vcpu, memoryMb, required: false);
        v.ThrowIfInvalid();

        var model = await teepods.CurrentAsync();
        var all = model.OsImages.Where(i => dev is null || i.IsDev == dev).ToList();
        var shown = all.Skip((int)Math.Min((long)(pageNo - 1) * size, int.MaxValue)).Take(size);
        // The page's images are measured side by side (ImageMeasurements bounds how many dstack-mr runs at once).
        var items = await Task.WhenAll(shown.Select(async i =>
        {
            var item = new OsImageResponse(i.Name, i.Name, i.Version, i.OsImageHash, i.IsDev,
                RequiresGpu: i.Name.Contains("nvidia", StringComparison.OrdinalIgnoreCase));
            if (machine is not { } m || model.LocalImage(i.Name) is not { } local) return item;
            try
            {
                var mr = await measurements.MeasureAsync(local.Teepod.Record.ImagePath!, i.Name, local.Image.OsImageHash, m.Vcpu, m.MemoryMb, ct);
                return item with { Measurements = new OsImageMeasurements(m.Vcpu, m.MemoryMb, mr.Mrtd, mr.Rtmr0, mr.Rtmr1, mr.Rtmr2) };
            }
            catch (ToolException e)
            {
                // A list still answers; the one-image route gives the reason to whoever needs it.
                logger.LogDebug("No measurements for image {Image}: {Detail}", i.Name, e.Message);
                return item;
            }
        }));
        return TypedResults.Json(new OsImagePage([.. items], all.Count, pageNo, size, (all.Count + size - 1) / size), CatalogJson.Default.OsImagePage);
    }

    private static async Task<IResult> Measurements(
        string name, string? vcpu, [FromQuery(Name = "memory_mb")] string? memoryMb, [FromQuery(Name = "teepod_id")] string? teepodId,
        CurrentUser user, TeepodReadModels teepods, ImageMeasurements measurements, CancellationToken ct)
    {
        var v = new Validator("query");
        var machine = Size(v, vcpu, memoryMb, required: true);
        long? onTeepod = string.IsNullOrWhiteSpace(teepodId) ? null : v.Int("teepod_id", teepodId, 1, int.MaxValue, 0);
        v.ThrowIfInvalid();
        var (cpus, memory) = machine!.Value;

        var model = await teepods.CurrentAsync();
        if (!model.OsImages.Any(i => i.Name == name) && onTeepod is null)
            throw ApiException.NotFound($"OS image {name} not found");
        var local = model.LocalImage(name, onTeepod) ?? throw ApiException.NotFound(onTeepod is null
            ? $"OS image {name} is on no teepod of this host; measurements are computed from the image files, " +
              "so only teepods added with `teehouse teepod add-local` have them"
            : $"OS image {name} not found on a local teepod with id {onTeepod}");
        try
        {
            var mr = await measurements.MeasureAsync(local.Teepod.Record.ImagePath!, name, local.Image.OsImageHash, cpus, memory, ct);
            return TypedResults.Json(
                new ImageMeasurementResponse(name, local.Image.OsImageHash, local.Teepod.Record.Id, cpus, memory, mr.Mrtd, mr.Rtmr0, mr.Rtmr1, mr.Rtmr2),
                CatalogJson.Default.ImageMeasurementResponse);
        }
        catch (ToolException e)
        {
            throw ToolErrors.ToApi(e, user.IsAdmin);
        }
    }

    /// <summary>Both or neither: a measurement is of one size.</summary>
    private static (int Vcpu, long MemoryMb)? Size(Validator v, string? vcpu, string? memoryMb, bool required)
    {
        bool hasCpu = !string.IsNullOrWhiteSpace(vcpu), hasMemory = !string.IsNullOrWhiteSpace(memoryMb);
        if (!hasCpu && !hasMemory && !required) return null;
        v.Require(hasCpu, "vcpu", "Field required", "missing");
        v.Require(hasMemory, "memory_mb", "Field required", "missing");
        var cpus = v.Int("vcpu", vcpu, 1, MaxVcpu, 1);
        var memory = v.Int("memory_mb", memoryMb, MinMemoryMb, MaxMemoryMb, MinMemoryMb);
        return (cpus, memory);
    }
}
