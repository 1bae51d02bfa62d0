using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Deploy;

public sealed record PlacementRequest(long? TeepodId, string? Region, string? Image, int Vcpu, int MemoryMb, bool IsAdmin);

public sealed record PlacementResult(TeepodRecord Teepod, string Image);

/// <summary>
/// Picks the teepod (and guest image) for a new CVM: the one asked for, or else the usable teepod with the most room
/// (highest resource score) that has the image and enough vCPUs, memory and a free slot. Usable = enabled and online,
/// and listed unless the caller is an admin. Pure: works on the rows the pinger keeps current.
/// </summary>
public static class Placement
{
    public static PlacementResult Choose(IReadOnlyList<TeepodRecord> teepods, PlacementRequest request)
    {
        if (request.TeepodId is { } id)
        {
            var teepod = teepods.FirstOrDefault(t => t.Id == id && t.Enabled && (t.Listed || request.IsAdmin))
                ?? throw ApiException.NotFound($"Teepod {id} not found");
            if (teepod.Status != TeepodStatus.Online)
                throw ApiException.Conflict($"Teepod {id} is offline{(teepod.LastError is null ? "" : $": {teepod.LastError}")}");
            var image = ImageFor(teepod, request.Image)
                ?? throw ValidationException.For("body", "image", $"Teepod {id} has no image '{request.Image}'; it offers: {string.Join(", ", Images(teepod).Select(i => i.Name))}");
            if (!HasRoom(teepod, request))
                throw ApiException.Conflict($"Teepod {id} has no room for {request.Vcpu} vCPU / {request.MemoryMb} MB");
            return new PlacementResult(teepod, image);
        }

        var candidates = teepods
            .Where(t => t.Enabled && t.Status == TeepodStatus.Online && (t.Listed || request.IsAdmin))
            .Where(t => request.Region is null || string.Equals(t.RegionIdentifier, request.Region, StringComparison.OrdinalIgnoreCase))
            .Select(t => (Teepod: t, Image: ImageFor(t, request.Image)))
            .Where(c => c.Image is not null && HasRoom(c.Teepod, request))
            .OrderByDescending(c => TeepodCapacity.Score(c.Teepod))
            .ThenBy(c => c.Teepod.Id)
            .ToList();
        if (candidates.Count == 0)
        {
            var what = request.Image is null ? "" : $" with image '{request.Image}'";
            var where = request.Region is null ? "" : $" in region '{request.Region}'";
            throw ApiException.Conflict($"No online teepod{where}{what} has room for {request.Vcpu} vCPU / {request.MemoryMb} MB");
        }
        return new PlacementResult(candidates[0].Teepod, candidates[0].Image!);
    }

    private static bool HasRoom(TeepodRecord t, PlacementRequest r) =>
        TeepodCapacity.Remaining(t.MaxAllocableVcpu, t.UsedVcpu) >= r.Vcpu
        && TeepodCapacity.Remaining(t.MaxAllocableMemoryInMb, t.UsedMemoryMb) >= r.MemoryMb
        && TeepodCapacity.Remaining(t.MaxCvmNumber, t.VmCount) >= 1;

    private static List<AvailableImage> Images(TeepodRecord t) => TeepodAvailability.Images(t.ImagesJson);

    /// <summary>The named image if the teepod has it; with no name, its newest non-dev image.</summary>
    private static string? ImageFor(TeepodRecord t, string? wanted)
    {
        var images = Images(t);
        if (wanted is not null) return images.Any(i => i.Name == wanted) ? wanted : null;
        return images.Where(i => !i.IsDev)
            .OrderByDescending(i => i.Version, VersionComparer.Instance)
            .Select(i => i.Name)
            .FirstOrDefault();
    }

    private sealed class VersionComparer : IComparer<int[]>
    {
        public static readonly VersionComparer Instance = new();

        public int Compare(int[]? x, int[]? y)
        {
            for (var i = 0; i < Math.Max(x?.Length ?? 0, y?.Length ?? 0); i++)
            {
                var c = (i < (x?.Length ?? 0) ? x![i] : 0).CompareTo(i < (y?.Length ?? 0) ? y![i] : 0);
                if (c != 0) return c;
            }
            return 0;
        }
    }
}
