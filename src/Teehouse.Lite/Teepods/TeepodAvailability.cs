using System.Text.Json;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Teepods;

/// <summary>
/// GET /teepods/available: the caller's tier limits and, per usable teepod, the room left. Read from what the pinger
/// stored, so it answers at once even when a teepod is slow. Usable = enabled and online (and listed, for users).
/// A user with no credits is offered no teepod; admins (the operator) always see theirs.
/// </summary>
public static class TeepodAvailability
{
    /// <summary>
    /// The answer depends on the caller only through the tier and the <see cref="NodeOffer"/>, so it is served from the
    /// read model's bytes for that pair. The caller's tier and balance are as the token lookup read them, which follows
    /// the users table (see <see cref="TokenCache"/>).
    /// </summary>
    public static async Task<IResult> Get(CurrentUser current, TeepodReadModels models, TeehouseConfig config)
    {
        var user = current.User!;
        var tierName = config.Tiers.ContainsKey(user.Tier) ? user.Tier : "FREE";
        var model = await models.CurrentAsync();
        return new JsonBytes(model.AvailableJson(tierName, config.Tiers[tierName], OfferFor(user)));
    }

    public static NodeOffer OfferFor(UserRecord user) =>
        user.IsAdmin ? NodeOffer.All
        : Credits.ParseStored(user.CreditBalance) + Credits.ParseStored(user.GrantedBalance) > 0 ? NodeOffer.Listed
        : NodeOffer.None;

    /// <summary>One usable teepod; the KMS fields are the catalog's, the same for every node.</summary>
    public static TeepodNode ToNode(TeepodRecord t, List<AvailableImage> images, bool supportOnchainKms, string? defaultKms, List<string> kmsIds) => new(
        t.Id,
        t.Name,
        t.Listed,
        TeepodCapacity.Score(t),
        TeepodCapacity.Remaining(t.MaxAllocableVcpu, t.UsedVcpu),
        TeepodCapacity.Remaining(t.MaxAllocableMemoryInMb, t.UsedMemoryMb),
        TeepodCapacity.Remaining(t.MaxCvmNumber, t.VmCount),
        images,
        DedicatedForTeamId: null,
        supportOnchainKms,
        Fmspc: null,
        DeviceId: null,
        t.RegionIdentifier,
        defaultKms,
        kmsIds);

    /// <summary>Images whose version the SDK can read (3 or 4 numbers); others are not offered.</summary>
    public static List<AvailableImage> Images(string imagesJson) => Offered(Stored(imagesJson));

    /// <summary>Everything a teepod's images_json holds; unreadable JSON holds nothing.</summary>
    public static List<StoredImage> Stored(string imagesJson)
    {
        try { return JsonSerializer.Deserialize(imagesJson, TeepodsJson.Default.ListStoredImage) ?? []; }
        catch (JsonException) { return []; }
    }

    public static List<AvailableImage> Offered(List<StoredImage> stored) =>
        stored
            .Select(i => (Image: i, Version: ImageVersion.Parse(i.Version)))
            .Where(x => x.Version is not null)
            .Select(x => new AvailableImage(x.Image.Name, x.Image.IsDev, x.Version!, x.Image.OsImageHash))
            .ToList();

    /// <summary>One parse of images_json for the read model: all images (GET /os-images) and those offered.</summary>
    public static TeepodImages Parse(string imagesJson)
    {
        var stored = Stored(imagesJson);
        return new TeepodImages(stored, Offered(stored));
    }
}

public sealed record TeepodImages(List<StoredImage> Stored, List<AvailableImage> Offered);
