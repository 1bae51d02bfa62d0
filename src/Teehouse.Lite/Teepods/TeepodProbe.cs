using System.Text.Json;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Teepods;

/// <summary>What one look at a dstack-vmm shows: version, limits, the resources its VMs hold, the images it offers.</summary>
public sealed record VmmSnapshot(
    string Version,
    long? MaxCvmNumber,
    long? MaxAllocableVcpu,
    long? MaxAllocableMemoryInMb,
    ResourceUse Use,
    IReadOnlyList<StoredImage> Images,
    VmmMeta Meta)
{
    public string ImagesJson => JsonSerializer.Serialize(Images.ToList(), TeepodsJson.Default.ListStoredImage);
}

/// <summary>The KMS facts shown on a teepod: its URL, version and root CA certificate.</summary>
public sealed record KmsFacts(string Url, string? Version, string? CaCertPem);

/// <summary>Asks a teepod's dstack-vmm (and its KMS and gateway) what it is. Failures surface as DstackException (502/504).</summary>
public sealed class TeepodProbe(DstackClientFactory clients, TeehouseConfig config, ILogger<TeepodProbe> logger)
{
    public const int StatusPageSize = 500;

    /// <param name="onBatch">Also hands each page of VMs to the caller (the reconciler), so one listing serves both.</param>
    /// <param name="imagePath">The vmm's image directory when it is on this host: each image's digest is read from it.</param>
    public async Task<VmmSnapshot> SnapshotAsync(
        string endpoint, VmmCredentials? credentials, CancellationToken ct, Func<IReadOnlyList<VmInfo>, Task>? onBatch = null,
        string? label = null, string? imagePath = null)
    {
        try
        {
            var snapshot = await ReadSnapshotAsync(clients.Vmm(endpoint, credentials, label), onBatch, ct);
            return imagePath is null ? snapshot : snapshot with
            {
                Images = [.. snapshot.Images.Select(i => i with { OsImageHash = ImageDirectory.ReadDigest(imagePath, i.Name) })],
            };
        }
        catch (DstackException e) when (e.Failure == DstackFailure.Unauthorized)
        {
            throw Refused(e, endpoint, credentials, label);
        }
    }

    /// <summary>
    /// A 401/403 from the vmm or the proxy in front of it, said the way an operator acts on it: which settings to fix.
    /// Built from the status alone: the answer's headers and body (a proxy's realm, its HTML page) are not quoted.
    /// </summary>
    private static DstackException Refused(DstackException e, string endpoint, VmmCredentials? credentials, string? label)
    {
        var peer = DstackPeer.Vmm(endpoint, label);
        var what = $"refused our credentials (HTTP {e.HttpStatus})";
        var hint = credentials?.Scheme switch
        {
            VmmCredentials.BasicScheme => "check its auth_username and auth_password",
            VmmCredentials.BearerScheme => "check its auth_token",
            _ => "register it with auth_token (the vmm's [auth] token) or auth_username and auth_password (HTTP Basic, for a proxy)",
        };
        return new DstackException(DstackFailure.Unauthorized, $"{peer.Label} {what}; {hint}", $"{peer.PublicLabel} {what}",
            e.Method, e.HttpStatus);
    }

    private static async Task<VmmSnapshot> ReadSnapshotAsync(
        VmmClient vmm, Func<IReadOnlyList<VmInfo>, Task>? onBatch, CancellationToken ct)
    {
        var version = await SupportedVersionAsync(vmm, ct);
        var meta = await vmm.GetMetaAsync(ct);
        var images = await vmm.ListImagesAsync(ct);

        // A paged Status keeps memory flat on hosts with thousands of VMs.
        var vms = new List<(string, long, long)>();
        var batch = new List<VmInfo>(StatusPageSize);
        await foreach (var vm in vmm.ListAllVmsAsync(StatusPageSize, brief: false, ct))
        {
            vms.Add((vm.Status, vm.Configuration?.Vcpu ?? 0, vm.Configuration?.Memory ?? 0));
            if (onBatch is null) continue;
            batch.Add(vm);
            if (batch.Count < StatusPageSize) continue;
            await onBatch(batch);
            batch.Clear();
        }
        if (onBatch is not null && batch.Count > 0) await onBatch(batch);

        return new VmmSnapshot(
            version.Version,
            meta.Resources?.MaxCvmNumber,
            meta.Resources?.MaxAllocableVcpu,
            meta.Resources?.MaxAllocableMemoryInMb,
            ResourceUse.Of(vms),
            images.Select(i => new StoredImage(i.Name, i.Version, i.IsDev)).Where(i => i.Name.Length > 0).ToList(),
            meta);
    }

    /// <summary>
    /// The KMS root certificate and version. <paramref name="required"/>: the operator named this KMS, so failing to
    /// reach it fails the registration; otherwise (the URL came from the vmm's own settings) it is best effort.
    /// </summary>
    public async Task<KmsFacts> KmsAsync(string url, bool required, CancellationToken ct)
    {
        var entry = config.Kms.FirstOrDefault(k => SameUrl(k.Url, url));
        var version = entry?.Version;
        try
        {
            var meta = await clients.Kms(url, entry is null ? null : $"KMS '{entry.Id}'").GetMetaAsync(ct);
            return new KmsFacts(url, string.IsNullOrEmpty(version) ? null : version, meta.CaCert);
        }
        catch (DstackException e) when (!required)
        {
            logger.LogWarning("KMS {Url} announced by the teepod could not be read: {Detail}", url, e.FullDetail);
            return new KmsFacts(url, string.IsNullOrEmpty(version) ? null : version, null);
        }
    }

    /// <summary>
    /// The gateway's <c>Info</c>, or null when the gateway is older than that RPC (added in 0.5.4): it answers, so it is
    /// usable, and the domain and port come from the registration or the vmm's own settings instead.
    /// </summary>
    public async Task<GatewayInfo?> GatewayAsync(string url, CancellationToken ct)
    {
        try
        {
            return await clients.Gateway(url).InfoAsync(ct);
        }
        catch (DstackException e) when (VmmClient.IsUnknownMethod(e, "Info"))
        {
            logger.LogInformation("Gateway {Url} has no Info RPC (older than dstack 0.5.4); using the registered settings", url);
            return null;
        }
    }

    /// <summary>
    /// The vmm's version, refused (<see cref="DstackFailure.Unsupported"/>) when older than
    /// <see cref="VmmFeatures.Minimum"/>. A 0.3.x host does not even have the unprefixed <c>Version</c> (HTTP 404);
    /// asked as <c>Teepod.Version</c> it says what it is, so the operator is told that instead of "404".
    /// </summary>
    private static async Task<VmmVersion> SupportedVersionAsync(VmmClient vmm, CancellationToken ct)
    {
        VmmVersion version;
        try
        {
            version = await vmm.VersionAsync(ct);
        }
        catch (DstackException e) when (e.HttpStatus == 404 || VmmClient.IsUnknownMethod(e, "Version"))
        {
            if (await vmm.LegacyTeepodVersionAsync(ct) is { } legacy) throw Unsupported(vmm, legacy, e.FullDetail);
            throw;
        }
        if (!VmmFeatures.Of(version.Version).Supported) throw Unsupported(vmm, version.Version, null);
        return version;
    }

    private static DstackException Unsupported(VmmClient vmm, string version, string? seen)
    {
        var why = $"runs dstack-vmm {version}; Teehouse Lite needs dstack-vmm {VmmFeatures.Minimum} or newer";
        return new DstackException(DstackFailure.Unsupported,
            $"{vmm.Endpoint} {why}{(seen is null ? "" : $" ({seen})")}", $"The teepod {why}", "Version");
    }

    public static bool SameUrl(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
