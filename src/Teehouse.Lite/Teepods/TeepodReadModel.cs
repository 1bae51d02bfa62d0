using System.Collections.Concurrent;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Teepods;

/// <summary>Which teepods /teepods/available offers a caller: admins all usable ones, users the listed ones if they have credit.</summary>
public enum NodeOffer
{
    None,
    Listed,
    All,
}

/// <summary>
/// Every teepod as of one value of the teepods change counter, with the read routes' answers already serialised:
/// the lists for each role, each teepod's admin answer, the KMS catalog when it is derived from the teepods, and the
/// /teepods/available answer per tier and <see cref="NodeOffer"/>. Immutable once built, so requests share it
/// without locks; a change to the table makes <see cref="TeepodReadModels"/> build the next one.
/// </summary>
public sealed class TeepodReadModel
{
    private readonly Dictionary<long, TeepodView> _byId;
    private readonly List<TeepodNode> _allNodes;
    private readonly List<TeepodNode> _listedNodes;
    // One entry per configured tier and offer at most: the tier name is resolved against the config before the lookup.
    private readonly ConcurrentDictionary<(string Tier, NodeOffer Offer), byte[]> _available = new();

    private TeepodReadModel(long version, List<TeepodView> teepods, List<KmsConfig> kmsEntries, List<KmsInfo> kmsList,
        ParseMemo<KmsCaCertInfo?> certificates, ParseMemo<TeepodImages> images)
    {
        Version = version;
        Teepods = teepods;
        KmsEntries = kmsEntries;
        KmsList = kmsList;
        Certificates = certificates.Used;
        ImageLists = images.Used;
        _byId = teepods.ToDictionary(v => v.Record.Id);

        var enabled = teepods.Where(v => v.Record.Enabled).ToList();
        AdminListJson = JsonSerializer.SerializeToUtf8Bytes(teepods.Select(v => v.ForAdmin).ToList(), TeepodsJson.Default.ListTeepodResponse);
        UserListJson = JsonSerializer.SerializeToUtf8Bytes(enabled.Select(v => v.ForUser).ToList(), TeepodsJson.Default.ListTeepodResponse);

        // The KMS part of a node is the same for every node of one catalog.
        var supportOnchainKms = kmsList.Any(k => k.ChainId is not null);
        var defaultKms = kmsList.FirstOrDefault()?.Id;
        var kmsIds = kmsList.Select(k => k.Id).ToList();
        var usable = enabled.Where(v => v.Record.Status == TeepodStatus.Online).ToList();
        _allNodes = usable.Select(v => TeepodAvailability.ToNode(v.Record, v.Images, supportOnchainKms, defaultKms, kmsIds)).ToList();
        _listedNodes = _allNodes.Where(n => n.Listed).ToList();

        // One entry per image name; the enabled teepod with the lowest id speaks for it (online or not: an image
        // does not leave the catalog because its teepod missed a ping).
        var byName = new SortedDictionary<string, StoredImage>(StringComparer.Ordinal);
        foreach (var v in enabled)
        foreach (var image in v.StoredImages)
            byName.TryAdd(image.Name, image);
        OsImages = [.. byName.Values];
        _imageSources = enabled.Where(v => v.Record.ImagePath is not null).ToList();
    }

    private readonly List<TeepodView> _imageSources;

    /// <summary>GET /os-images: every image the enabled teepods offer, one per name, in name order.</summary>
    public IReadOnlyList<StoredImage> OsImages { get; }

    /// <summary>
    /// Where image <paramref name="name"/>'s files are on this host: the first enabled local teepod (or the one asked
    /// for) whose vmm lists it. Null when no teepod on this host has it.
    /// </summary>
    public (TeepodView Teepod, StoredImage Image)? LocalImage(string name, long? teepodId = null)
    {
        foreach (var v in _imageSources)
        {
            if (teepodId is not null && v.Record.Id != teepodId) continue;
            if (v.StoredImages.FirstOrDefault(i => i.Name == name) is { } image) return (v, image);
        }
        return null;
    }

    /// <summary>The teepods counter (<see cref="Infrastructure.Database.DbVersion.Teepods"/>) read before the rows were.</summary>
    public long Version { get; }

    /// <summary>Every teepod, enabled or not, in id order (for a feature that needs the rows without a query).</summary>
    public IReadOnlyList<TeepodView> Teepods { get; }

    /// <summary>The <c>[[kms]]</c> entries, or with none configured the ones derived from the enabled teepods.</summary>
    public List<KmsConfig> KmsEntries { get; }

    public List<KmsInfo> KmsList { get; }

    /// <summary>GET /teepods for an admin: every teepod.</summary>
    public byte[] AdminListJson { get; }

    /// <summary>GET /teepods for a user: the enabled teepods, without what only admins see.</summary>
    public byte[] UserListJson { get; }

    /// <summary>The parses this model used, for the next build to reuse.</summary>
    public IReadOnlyDictionary<string, KmsCaCertInfo?> Certificates { get; }

    public IReadOnlyDictionary<string, TeepodImages> ImageLists { get; }

    public TeepodView? Find(long id) => _byId.GetValueOrDefault(id);

    /// <summary>GET /teepods/available for a caller of <paramref name="tierName"/> (a configured tier) offered <paramref name="offer"/>.</summary>
    public byte[] AvailableJson(string tierName, TierConfig tier, NodeOffer offer)
    {
        if (_available.TryGetValue((tierName, offer), out var json)) return json;
        var nodes = offer switch { NodeOffer.All => _allNodes, NodeOffer.Listed => _listedNodes, _ => [] };
        json = JsonSerializer.SerializeToUtf8Bytes(
            new TierCapacity(tierName, new TierLimits(tier.MaxInstances, tier.MaxVcpu, tier.MaxMemory, tier.MaxDisk), nodes, KmsList),
            TeepodsJson.Default.TierCapacity);
        return _available.GetOrAdd((tierName, offer), json);
    }

    /// <summary>
    /// The model of <paramref name="rows"/> (every teepod, in id order), read after <paramref name="version"/> was.
    /// Parses only certificate and image texts <paramref name="previous"/> did not already parse.
    /// </summary>
    public static TeepodReadModel Build(long version, IReadOnlyList<TeepodRecord> rows, List<KmsConfig> configuredKms, TeepodReadModel? previous)
    {
        var certificates = new ParseMemo<KmsCaCertInfo?>(previous?.Certificates);
        var images = new ParseMemo<TeepodImages>(previous?.ImageLists);
        var views = rows.Select(t => TeepodView.Build(t, certificates, images)).ToList();
        var kmsEntries = configuredKms.Count > 0 ? configuredKms : KmsCatalog.Derive(views.Where(v => v.Record.Enabled).Select(v => v.Record));
        return new TeepodReadModel(version, views, kmsEntries, [.. kmsEntries.Select(KmsInfo.From)], certificates, images);
    }
}
