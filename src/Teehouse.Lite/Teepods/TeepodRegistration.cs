using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Teepods;

/// <summary>A teepod's image and VM directories when its vmm runs on this host (from its vmm.toml).</summary>
public sealed record LocalPaths(string? ImagePath, string? RunPath);

/// <summary>
/// Registers a dstack-vmm as a teepod: validation, probe, insert. Shared by POST /api/v1/teepods and
/// <c>teehouse teepod add-local</c>, so the console cannot store a teepod the API would refuse.
/// </summary>
public sealed class TeepodRegistration(TeepodStore store, TeepodProbe probe)
{
    /// <summary>
    /// Probes the dstack-vmm (and the KMS and gateway when named) before anything is stored: an unreachable host is a
    /// 502/504 and leaves no row behind.
    /// </summary>
    /// <param name="local">Only from the host's own console (add-local): the API never names paths on this machine.</param>
    public async Task<TeepodRecord> RegisterAsync(RegisterTeepodRequest request, CancellationToken ct, LocalPaths? local = null)
    {
        TeepodValidation.Validate(request);
        var name = request.Name!;
        var endpoint = TeepodValidation.NormalizeEndpoint(request.Endpoint!);
        await ThrowIfTakenAsync(name, endpoint);

        var snapshot = await probe.SnapshotAsync(endpoint, TeepodValidation.CredentialsOf(request), ct, label: TeepodClients.Label(name),
            imagePath: local?.ImagePath);
        var kmsUrl = request.KmsEndpoint?.Trim().TrimEnd('/') ?? snapshot.Meta.Kms?.Url;
        var kms = kmsUrl is null ? null : await probe.KmsAsync(kmsUrl, required: request.KmsEndpoint is not null, ct);
        var gatewayUrl = request.TproxyEndpoint?.Trim().TrimEnd('/') ?? snapshot.Meta.Gateway?.Url;
        var gateway = request.TproxyEndpoint is null ? null : await probe.GatewayAsync(gatewayUrl!, ct);

        var now = Clock.NowText();
        var record = new TeepodRecord
        {
            Name = name,
            Endpoint = endpoint,
            AuthToken = request.AuthToken,
            AuthUsername = request.AuthUsername,
            AuthPassword = request.AuthPassword,
            RegionIdentifier = request.RegionIdentifier,
            KmsEndpoint = request.KmsEndpoint,
            KmsUrl = kms?.Url,
            KmsVersion = kms?.Version,
            KmsCaCertPem = kms?.CaCertPem,
            TproxyEndpoint = request.TproxyEndpoint,
            TproxyUrl = gatewayUrl,
            TproxyVersion = gateway?.Version,
            TproxyBaseDomain = request.TproxyBaseDomain ?? NullIfEmpty(gateway?.BaseDomain) ?? NullIfEmpty(snapshot.Meta.Gateway?.BaseDomain),
            TproxyPort = request.TproxyPort ?? (long?)gateway?.ExternalPort ?? snapshot.Meta.Gateway?.Port,
            TproxyTappdPort = request.TproxyTappdPort ?? snapshot.Meta.Gateway?.AgentPort,
            TeepodVersion = snapshot.Version,
            MaxCvmNumber = snapshot.MaxCvmNumber,
            MaxAllocableVcpu = snapshot.MaxAllocableVcpu,
            MaxAllocableMemoryInMb = snapshot.MaxAllocableMemoryInMb,
            Status = TeepodStatus.Online,
            Enabled = true,
            Listed = request.Listed ?? true,
            VmCount = snapshot.Use.VmCount,
            UsedVcpu = snapshot.Use.Vcpu,
            UsedMemoryMb = snapshot.Use.MemoryMb,
            ImagesJson = snapshot.ImagesJson,
            LastPingAt = now,
            LastSeenAt = now,
            CreatedAt = now,
            ImagePath = local?.ImagePath,
            RunPath = local?.RunPath,
        };
        var stored = await store.InsertAsync(record);
        if (stored is null) await ThrowIfTakenAsync(name, endpoint);
        return stored!;
    }

    public async Task ThrowIfTakenAsync(string name, string endpoint)
    {
        var conflict = await store.FindConflictAsync(name, endpoint);
        if (conflict is null) return;
        throw ApiException.Conflict(conflict.Endpoint == endpoint
            ? $"Teepod {conflict.Id} ('{conflict.Name}') is already registered at {endpoint}"
            : $"A teepod named '{conflict.Name}' already exists (id {conflict.Id})");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
