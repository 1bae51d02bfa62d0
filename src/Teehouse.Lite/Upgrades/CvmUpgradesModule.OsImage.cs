using System.Text.Json;
using System.Text.Json.Nodes;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Cvms;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Pending;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Upgrades;

/// <summary>One image of a version: its directory name on the teepod, and whether the CVM runs it.</summary>
public sealed record OsImageVariant(string Name, string? OsImageHash, bool IsCurrent);

/// <summary>The SDK's AvailableOSImage: one guest OS version with its production and dev builds.</summary>
public sealed record AvailableOsImage(int[] Version, OsImageVariant? Prod, OsImageVariant? Dev);

/// <summary>
/// <c>GET /cvms/{id}/available-os-images</c> (the images the CVM's teepod offers, newest version first, as the last
/// ping saw them: no vmm call) and <c>PATCH /cvms/{id}/os-image</c> <c>{os_image_name}</c> (the image change of
/// <c>PATCH /cvms/{id}</c>: a running CVM is stopped, updated and started again). 204 with no body, which the SDK's
/// <c>z.void()</c> wants.
/// </summary>
public sealed partial class CvmUpgradesModule
{
    private static async Task<IResult> AvailableOsImages(string cvmId, CurrentUser user, CvmStore queries)
    {
        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        // The images the teepods view offers users (readable version, unreadable JSON as none), grouped by version.
        var answer = TeepodAvailability.Images(row.TeepodImagesJson)
            .GroupBy(i => string.Join('.', i.Version))
            .Select(g => new AvailableOsImage(
                g.First().Version,
                Variant(g.FirstOrDefault(i => !i.IsDev), row),
                Variant(g.FirstOrDefault(i => i.IsDev), row)))
            .OrderByDescending(a => a.Version, VersionOrder.Instance)
            .ToList();
        return TypedResults.Json(answer, UpgradesJson.Default.ListAvailableOsImage);

        static OsImageVariant? Variant(AvailableImage? image, CvmRow row) =>
            image is null ? null : new OsImageVariant(image.Name, image.OsImageHash, image.Name == row.Image);
    }

    private static async Task<IResult> UpdateOsImage(
        string cvmId, HttpRequest request, CurrentUser user, CvmStore queries, CvmPower power, DstackClientFactory clients,
        PendingStore pending, CvmOperations operations, KmsCatalog kmsCatalog, ILogger<CvmUpgradesModule> logger, CancellationToken ct)
    {
        var body = request.ContentLength == 0 ? [] : await ReadObjectAsync(request, ct);
        var name = body["os_image_name"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>().Trim() : null;
        if (string.IsNullOrEmpty(name))
            throw ValidationException.For("body", "os_image_name", body["os_image_name"] is null ? "Field required" : "OS image name is required",
                body["os_image_name"] is null ? "missing" : "string_too_short");
        var row = await CvmsModule.ResolveAsync(cvmId, user, queries);
        var offered = TeepodAvailability.Images(row.TeepodImagesJson);
        if (!offered.Any(i => i.Name == name))
            throw ValidationException.For("body", "os_image_name",
                $"Teepod '{row.TeepodName}' has no image '{name}'; it offers {string.Join(", ", offered.Select(i => i.Name))}");
        if (name != row.Image)
        {
            await ApplyAsync(cvmId, new JsonObject { ["image"] = name, ["allow_force_stop"] = true }, prepareOnly: false, request, user,
                queries, power, clients, pending, operations, kmsCatalog, logger, ct);
        }
        return TypedResults.NoContent();
    }

    private sealed class VersionOrder : IComparer<int[]>
    {
        public static readonly VersionOrder Instance = new();

        public int Compare(int[]? a, int[]? b)
        {
            for (var i = 0; i < Math.Max(a?.Length ?? 0, b?.Length ?? 0); i++)
            {
                var c = (i < (a?.Length ?? 0) ? a![i] : 0).CompareTo(i < (b?.Length ?? 0) ? b![i] : 0);
                if (c != 0) return c;
            }
            return 0;
        }
    }
}
