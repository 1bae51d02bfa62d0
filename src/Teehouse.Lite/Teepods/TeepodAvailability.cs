using System.Text.Json;
using Teehouse.Lite.Auth;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Teepods;

/// <summary>
/// GET /teepods/available: the caller's tier limits and, per usable teepod, the room left. Read from what the pinger
/// stored, so it answers at once even when a teepod is slow. Usable = enabled and online (and listed, for users).
/// A user with no credits is offered no teepod; admins (the operator) always see theirs.
/// </summary>
public static class TeepodAvailability
{
    public static async Task<IResult> Get(CurrentUser current, TeepodStore store, KmsCatalog kmsCatalog, TeehouseConfig config)
    {
        var user = current.User!;
        var tierName = config.Tiers.ContainsKey(user.Tier) ? user.Tier : "FREE";
        var tier = config.Tiers[tierName];
        var teepods = await store.ListAsync(includeDisabled: false);
        var kmsList = kmsCatalog.ListFor(teepods);

        var nodes = new List<TeepodNode>();
        var hasCredit = Credits.ParseStored(user.CreditBalance) + Credits.ParseStored(user.GrantedBalance) > 0;
        if (user.IsAdmin || hasCredit)
        {
            foreach (var t in teepods)
            {
                if (t.Status != TeepodStatus.Online || (!user.IsAdmin && !t.Listed)) continue;
                nodes.Add(ToNode(t, kmsList));
            }
        }
        return TypedResults.Json(
            new TierCapacity(tierName, new TierLimits(tier.MaxInstances, tier.MaxVcpu, tier.MaxMemory, tier.MaxDisk), nodes, kmsList),
            TeepodsJson.Default.TierCapacity);
    }

    public static TeepodNode ToNode(TeepodRecord t, List<KmsInfo> kmsList) => new(
        t.Id,
        t.Name,
        t.Listed,
        TeepodCapacity.Score(t),
        TeepodCapacity.Remaining(t.MaxAllocableVcpu, t.UsedVcpu),
        TeepodCapacity.Remaining(t.MaxAllocableMemoryInMb, t.UsedMemoryMb),
        TeepodCapacity.Remaining(t.MaxCvmNumber, t.VmCount),
        Images(t.ImagesJson),
        DedicatedForTeamId: null,
        SupportOnchainKms: kmsList.Any(k => k.ChainId is not null),
        Fmspc: null,
        DeviceId: null,
        t.RegionIdentifier,
        DefaultKms: kmsList.FirstOrDefault()?.Id,
        kmsList.Select(k => k.Id).ToList());

    /// <summary>Images whose version the SDK can read (3 or 4 numbers); others are not offered.</summary>
    public static List<AvailableImage> Images(string imagesJson)
    {
        List<StoredImage>? stored;
        try { stored = JsonSerializer.Deserialize(imagesJson, TeepodsJson.Default.ListStoredImage); }
        catch (JsonException) { stored = null; }
        return (stored ?? [])
            .Select(i => (Image: i, Version: ImageVersion.Parse(i.Version)))
            .Where(x => x.Version is not null)
            .Select(x => new AvailableImage(x.Image.Name, x.Image.IsDev, x.Version!, OsImageHash: null))
            .ToList();
    }
}
