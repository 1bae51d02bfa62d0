using System.Buffers;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// Builds the contract shapes of a CVM from its row and, where the route asked the vmm, its live <see cref="VmInfo"/>.
/// The live view wins where both know a value (status, instance id, sizes); without it the row's last-seen values stand.
/// </summary>
public static class CvmMapper
{
    public static CvmInfoV20260121 ToV20260121(
        CvmRow row, VmInfo? live = null, IReadOnlyList<KmsInfo>? kmsList = null, SyslogLinks? logs = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        var facts = Facts.Of(row, live);
        var kms = facts.Compose?.KmsEnabled == true && live?.Configuration is { } config && kmsList is not null
            ? HostedCvmMapper.PickKms(config.KmsUrls, kmsList)
            : null;
        return new CvmInfoV20260121
        {
            Id = row.HashedId,
            Name = row.Name,
            AppId = row.AppId,
            VmUuid = row.VmUuid,
            InstanceId = facts.InstanceId,
            Resource = new CvmResource
            {
                Vcpu = facts.Vcpu,
                MemoryInGb = facts.MemoryMb is { } mb ? Math.Round(mb / 1024.0, 3) : null,
                DiskInGb = facts.DiskGb,
                Gpus = live?.Configuration is { } c ? c.Gpus?.Gpus.Count ?? 0 : null,
            },
            NodeInfo = new CvmNodeInfo("node", row.TeepodId, row.TeepodName, row.TeepodRegion, null, null, row.TeepodStatus,
                row.TeepodVersion),
            Os = new CvmOs(facts.Image, facts.ImageVersion, facts.Image is null ? null : IsDevImage(row, facts.Image),
                facts.Image is null ? null : DevImages.OsImageHash(row.TeepodImagesJson, facts.Image)),
            KmsType = kms is null ? null : KmsType(kms.ChainId),
            KmsInfo = kms is null && !KmsOn(facts, row)
                ? null
                : new CvmKmsInfoV20260121(kms?.ChainId, kms?.KmsContractAddress, null, null, null, EnvKey(facts, row)),
            Status = facts.Status,
            Progress = Progress(row),
            ComposeHash = facts.ComposeHash,
            Gateway = new CvmGateway(row.GatewayBaseDomain, null),
            Endpoints = live is null ? null : Endpoints(row.AppId, live.AppUrl, facts.InstanceId),
            PublicLogs = facts.Compose?.PublicLogs,
            PublicSysinfo = facts.Compose?.PublicSysinfo,
            GatewayEnabled = facts.Compose?.GatewayEnabled,
            Listed = row.Listed,
            InProgress = row.InProgress,
            Workspace = row.UserId is { } owner
                ? new CvmWorkspaceRef("workspace", $"ws-{owner}", row.Username ?? "", row.Username?.ToLowerInvariant(), null)
                : null,
            Creator = row.UserId is { } creator
                ? new CvmUserRef("user", creator.ToString(System.Globalization.CultureInfo.InvariantCulture), row.Username, null)
                : null,
            CreatedAt = row.CreatedAt,
            UpdatedAt = row.UpdatedAt,
            SyslogEndpoint = logs?.For(row),
        };
    }

    /// <param name="live">Null when the vmm could not be asked: <c>compose_file</c> is then null.</param>
    public static CvmInfoDetailV20260121 ToDetailV20260121(CvmRow row, VmInfo? live, IReadOnlyList<KmsInfo> kmsList, SyslogLinks? logs = null) =>
        new(ToV20260121(row, live, kmsList, logs), ComposeElement(live?.Configuration?.ComposeFile));

    public static CvmInfoV20251028 ToV20251028(CvmRow row, SyslogLinks? logs = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        var hosted = new HostedVm(
            row.VmUuid, row.Name, row.Status, row.UptimeAt(DateTimeOffset.UtcNow) ?? "", AppUrl: null, row.AppId, row.InstanceId, Configuration: null,
            ExitedAt: null, BootProgress: null, BootError: null, ShutdownProgress: null, row.ImageVersion);
        return new CvmInfoV20251028(
            hosted,
            row.Name,
            ManagedUser(row),
            Node(row),
            row.Listed,
            row.Status,
            row.InProgress,
            DappDashboardUrl: null,
            SyslogEndpoint: logs?.For(row),
            AllowUpgrade: false,
            ProjectId: null,
            ProjectType: null,
            BillingPeriod: null,
            KmsInfo: null,
            row.Vcpu,
            row.Memory,
            row.DiskSize,
            row.GatewayBaseDomain,
            PublicUrls: [],
            MachineInfo(row.Vcpu, row.Memory, row.DiskSize),
            row.UpdatedAt);
    }

    public static CvmDetailV20251028 ToDetailV20251028(CvmRow row, VmInfo? live, IReadOnlyList<KmsInfo> kmsList, SyslogLinks? logs = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        var facts = Facts.Of(row, live);
        var kms = facts.Compose?.KmsEnabled == true && live?.Configuration is { } config
            ? HostedCvmMapper.PickKms(config.KmsUrls, kmsList)
            : null;
        return new CvmDetailV20251028(
            row.Id,
            row.Name,
            facts.Status,
            row.InProgress,
            row.TeepodId,
            Node(row),
            row.AppId,
            row.VmUuid,
            facts.InstanceId,
            facts.Vcpu ?? 0,
            facts.MemoryMb ?? 0,
            facts.DiskGb ?? 0,
            facts.Image,
            EncryptedEnvPubkey: EnvKey(facts, row),
            row.Listed,
            ProjectId: null,
            ProjectType: null,
            InstanceType: null,
            facts.Compose?.PublicSysinfo ?? false,
            facts.Compose?.PublicLogs ?? false,
            live?.AppUrl,
            SyslogEndpoint: logs?.For(row),
            kms,
            ContractAddress: null,
            DeployerAddress: null,
            ScheduledDeleteAt: null,
            live is null ? [] : Endpoints(row.AppId, live.AppUrl, facts.InstanceId),
            row.GatewayBaseDomain,
            MachineInfo(facts.Vcpu, facts.MemoryMb, facts.DiskGb),
            row.UpdatedAt);
    }

    /// <summary><c>VMSchema</c>, after a power operation.</summary>
    public static CvmVmResponse ToVm(CvmRow row, VmInfo? live, string? statusOverride = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        var facts = Facts.Of(row, live);
        return new CvmVmResponse(
            row.Id,
            row.Name,
            statusOverride ?? facts.Status,
            row.TeepodId,
            Node(row),
            row.UserId,
            row.AppId,
            row.VmUuid,
            facts.InstanceId,
            live?.AppUrl,
            facts.Image,
            facts.Vcpu ?? 0,
            facts.MemoryMb ?? 0,
            facts.DiskGb ?? 0,
            facts.Compose?.ManifestVersion,
            Version: null,
            facts.Compose?.Runner,
            facts.Compose?.DockerComposeFile,
            facts.Compose?.Features,
            row.CreatedAt,
            EncryptedEnvPubkey: EnvKey(facts, row),
            row.InProgress,
            Progress(row));
    }

    public static CvmStateResponse ToState(CvmRow row, VmInfo vm)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(vm);
        return new CvmStateResponse
        {
            Id = vm.Id,
            InstanceId = NullIfEmpty(vm.InstanceId) ?? row.InstanceId,
            Name = row.Name,
            Status = vm.Status,
            Uptime = vm.Uptime,
            ExitedAt = vm.ExitedAt,
            BootProgress = vm.BootProgress,
            BootError = vm.BootError,
            ShutdownProgress = vm.ShutdownProgress,
        };
    }

    /// <summary>The app-compose as the detail shows it: the JSON object, the raw text when it is not one, or null.</summary>
    public static JsonElement? ComposeElement(string? composeText)
    {
        if (string.IsNullOrEmpty(composeText)) return null;
        try
        {
            using var doc = JsonDocument.Parse(composeText);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            // not JSON: shown as the text it is
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) writer.WriteStringValue(composeText);
        using var text = JsonDocument.Parse(buffer.WrittenMemory);
        return text.RootElement.Clone();
    }

    /// <summary>
    /// The gateway URLs of the CVM's guest-agent dashboard: dstack's <c>app_url</c> is the instance URL
    /// (<c>https://&lt;instance_id&gt;-&lt;port&gt;.&lt;domain&gt;</c>); the same host with the app id in front reaches any
    /// instance of the app. Empty when the vmm reports no app_url (no gateway, or the instance id is not known yet).
    /// </summary>
    public static IReadOnlyList<CvmPublicUrl> Endpoints(string appId, string? appUrl, string? instanceId)
    {
        if (string.IsNullOrEmpty(appUrl) || string.IsNullOrEmpty(instanceId) || string.IsNullOrEmpty(appId)) return [];
        var prefix = $"https://{instanceId}-";
        if (!appUrl.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return [new CvmPublicUrl(appUrl, appUrl)];
        return [new CvmPublicUrl($"https://{appId}-{appUrl[prefix.Length..]}", appUrl)];
    }

    /// <summary>The SDK's kms_type for a KMS: on-chain ones by chain (Base, else Ethereum-compatible), others "phala".</summary>
    public static string KmsType(long? chainId) => chainId switch
    {
        null => "phala",
        8453 => "base",
        _ => "ethereum",
    };

    private static CvmProgress? Progress(CvmRow row) =>
        row.ProgressOperation is null ? null : new CvmProgress(row.ProgressTarget, row.ProgressStartedAt, row.ProgressCorrelationId);

    private static ManagedUser? ManagedUser(CvmRow row) =>
        row.UserId is { } id ? new ManagedUser(id, row.Username ?? "") : null;

    private static NodeRef Node(CvmRow row) => new(row.TeepodId, row.TeepodName, row.TeepodRegion);

    private static CvmMachineInfo? MachineInfo(long? vcpu, long? memory, long? disk) =>
        vcpu is { } v && memory is { } m && disk is { } d ? new CvmMachineInfo(v, m, d, 0) : null;

    /// <summary>From the teepod's cached image list (parsed once per text, not per row); by dstack's naming when not listed.</summary>
    private static bool IsDevImage(CvmRow row, string image) => DevImages.IsDev(row.TeepodImagesJson, image);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>The values both sources may know, the live one first.</summary>
    private sealed record Facts(
        string Status, string? InstanceId, string? Image, string? ImageVersion, long? Vcpu, long? MemoryMb, long? DiskGb,
        string? ComposeHash, AppComposeInfo? Compose)
    {
        public static Facts Of(CvmRow row, VmInfo? live)
        {
            var config = live?.Configuration;
            return new Facts(
                live is null ? row.Status : live.Status,
                NullIfEmpty(live?.InstanceId) ?? row.InstanceId,
                NullIfEmpty(config?.Image) ?? row.Image,
                NullIfEmpty(live?.ImageVersion) ?? row.ImageVersion,
                config is null ? row.Vcpu : config.Vcpu,
                config is null ? row.Memory : config.Memory,
                config is null ? row.DiskSize : config.DiskSize,
                config is null ? row.ComposeHash : AppComposeParser.ComposeHash(config.ComposeFile),
                config is null ? null : AppComposeParser.Parse(config.ComposeFile));
        }
    }

    /// <summary>Whether the CVM uses a KMS: what its live compose says, else what the last sync saw.</summary>
    private static bool KmsOn(Facts facts, CvmRow row) => facts.Compose?.KmsEnabled ?? row.KmsEnabled ?? false;

    /// <summary>The app's env-encryption key, as remembered (never a KMS call per row), for a CVM that uses the KMS.</summary>
    private static string? EnvKey(Facts facts, CvmRow row) => KmsOn(facts, row) ? row.EnvPubkey : null;
}
