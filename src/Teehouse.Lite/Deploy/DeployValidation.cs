using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Deploy;

/// <summary>What a valid provision request asks for, with sizes resolved from the instance type.</summary>
public sealed record DeployPlan(int Vcpu, int MemoryMb, int DiskGb, string? InstanceType, string? AppId);

public static partial class DeployValidation
{
    public const string NameRule = "Name must be 5-63 characters, start with letter, and contain only letters/numbers/hyphens";

    public static DeployPlan Validate(ProvisionCvmRequest r, IReadOnlyList<KmsInfo> kmsList)
    {
        var v = new Validator();
        v.Require(r.Name is not null, "name", "Field required", "missing");
        if (r.Name is not null) v.Require(IsHostname(r.Name), "name", NameRule);
        v.Require(r.ComposeFile is not null, "compose_file", "Field required", "missing");
        if (r.ComposeFile is not null) AppComposeBuilder.Validate(r.ComposeFile, v);

        var type = InstanceTypes.Find(r.InstanceType);
        v.Require(r.InstanceType is null || type is not null, "instance_type",
            $"Unknown instance type; one of {string.Join(", ", InstanceTypes.All.Select(t => t.Id))}");
        v.Require(r.Vcpu is null or (>= 1 and <= 256), "vcpu", "vcpu must be between 1 and 256");
        v.Require(r.Memory is null or (>= 512 and <= 4 * 1024 * 1024), "memory", "memory (MB) must be between 512 and 4194304");
        v.Require(r.DiskSize is null or (>= 1 and <= 64 * 1024), "disk_size", "disk_size (GB) must be between 1 and 65536");
        string? appId = null;
        if (r.AppId is not null) v.Require(AppIds.TryNormalize(r.AppId, out appId), "app_id", "app_id must be 20 bytes: 40 hex characters, optionally 0x-prefixed");
        if (r.KmsId is not null)
            v.Require(kmsList.Any(k => k.Id == r.KmsId || k.Slug == r.KmsId), "kms_id", $"Unknown KMS '{r.KmsId}'");
        v.Require(r.Kms is null or "PHALA", "kms", "Only the PHALA (off-chain) KMS is supported by Teehouse Lite");
        v.ThrowIfInvalid();

        var fallback = InstanceTypes.Find("tdx.small")!;
        var vcpu = r.Vcpu ?? type?.Vcpu ?? fallback.Vcpu;
        var memory = r.Memory ?? type?.MemoryMb ?? fallback.MemoryMb;
        var disk = r.DiskSize ?? type?.DefaultDiskGb ?? fallback.DefaultDiskGb;
        return new DeployPlan(vcpu, memory, disk, type?.Id ?? (r.Vcpu is null && r.Memory is null ? fallback.Id : null), appId);
    }

    public static (string AppId, string ComposeHash, string EncryptedEnv) Validate(CommitCvmRequest r)
    {
        var v = new Validator();
        string appId = "";
        v.Require(r.AppId is not null, "app_id", "Field required", "missing");
        if (r.AppId is not null) v.Require(AppIds.TryNormalize(r.AppId, out appId), "app_id", "app_id must be 40 hex characters");
        v.Require(r.ComposeHash is not null, "compose_hash", "Field required", "missing");
        var hash = r.ComposeHash?.Trim().ToLowerInvariant() ?? "";
        if (hash.StartsWith("0x", StringComparison.Ordinal)) hash = hash[2..];
        if (r.ComposeHash is not null) v.Require(Hex().IsMatch(hash) && hash.Length == 64, "compose_hash", "compose_hash must be 64 hex characters");
        var env = r.EncryptedEnv?.Trim() ?? "";
        if (env.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) env = env[2..];
        v.Require(env.Length % 2 == 0 && (env.Length == 0 || Hex().IsMatch(env)), "encrypted_env", "encrypted_env must be hex");
        v.ThrowIfInvalid();
        return (appId, hash, env.ToLowerInvariant());
    }

    // The official SDK's isValidHostname: a letter first, letters/digits/hyphens, no "--", not ending in '-'.
    public static bool IsHostname(string name) => name.Length is >= 5 and <= 63 && Hostname().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z](?!.*--)([a-zA-Z0-9-]*[a-zA-Z0-9])?$")]
    private static partial Regex Hostname();

    [GeneratedRegex("^[0-9a-fA-F]*$")]
    private static partial Regex Hex();
}
