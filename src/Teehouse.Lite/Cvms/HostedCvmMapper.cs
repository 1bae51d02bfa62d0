using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Shared;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

/// <summary>Builds a <see cref="HostedCvmResponse"/> from the vmm's live <see cref="VmInfo"/> and our stored row.</summary>
public static class HostedCvmMapper
{
    /// <param name="vm">The VM as the teepod's vmm reports it now (its configuration is null for a brief status).</param>
    /// <param name="record">Our row for the VM, or null when the VM is not (yet) in the database.</param>
    /// <param name="teepod">The teepod the VM runs on.</param>
    /// <param name="kmsList">The configured KMSes, in configuration order.</param>
    /// <param name="logs">Names the <c>syslog_endpoint</c> of a recorded VM.</param>
    public static HostedCvmResponse Map(
        VmInfo vm, CvmRow? record, TeepodRecord teepod, IReadOnlyList<KmsInfo> kmsList, SyslogLinks? logs = null)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(teepod);
        ArgumentNullException.ThrowIfNull(kmsList);

        var config = vm.Configuration;
        // Memoised: a listing maps every VM of a host, and their composes rarely change between listings.
        var compose = config is null ? null : ParsedComposes.Parse(config.ComposeFile);
        var hosted = new HostedVm(
            vm.Id, vm.Name, vm.Status, vm.Uptime, vm.AppUrl, vm.AppId, vm.InstanceId,
            config is null ? null : MapConfiguration(config, compose),
            vm.ExitedAt, vm.BootProgress, vm.BootError, vm.ShutdownProgress, vm.ImageVersion);

        return new HostedCvmResponse(
            Hosted: hosted,
            Name: string.IsNullOrEmpty(record?.Name) ? vm.Name : record.Name,
            ManagedUser: record?.UserId is { } userId ? new ManagedUser(userId, record.Username ?? "") : null,
            Node: new NodeRef(teepod.Id, teepod.Name, teepod.RegionIdentifier),
            Listed: record?.Listed ?? false,
            // The vmm's status is live; the row's may be stale.
            Status: vm.Status,
            InProgress: record?.InProgress ?? false,
            // app_url is the guest agent's dashboard (https://<instance_id>-<agent_port>.<base_domain>).
            DappDashboardUrl: vm.AppUrl,
            SyslogEndpoint: record is null ? null : logs?.For(record),
            AllowUpgrade: false,
            ProjectId: null,
            ProjectType: null,
            BillingPeriod: null,
            KmsInfo: compose?.KmsEnabled == true ? PickKms(config!.KmsUrls, kmsList) : null,
            ContractAddress: null,
            DeployerAddress: null,
            Vcpu: config is null ? record?.Vcpu : config.Vcpu,
            Memory: config is null ? record?.Memory : config.Memory,
            DiskSize: config is null ? record?.DiskSize : config.DiskSize);
    }

    private static HostedVmConfiguration MapConfiguration(VmConfiguration c, AppComposeInfo? compose) =>
        new(
            c.Name,
            c.Image,
            compose,
            c.Vcpu,
            c.Memory,
            c.DiskSize,
            [.. c.Ports.Select(p => new HostedPortMapping(p.Protocol, p.HostPort, p.VmPort, p.HostAddress))],
            c.EncryptedEnv,
            c.AppId,
            c.UserConfig,
            c.Hugepages,
            c.PinNuma,
            c.Gpus is null ? [] : [.. c.Gpus.Gpus.Select(g => new HostedGpu(null, g.Slot))],
            c.KmsUrls,
            c.GatewayUrls);

    /// <summary>The first configured KMS whose url is one of the VM's kms_urls; else the first configured one.</summary>
    internal static KmsInfo? PickKms(IReadOnlyList<string> vmKmsUrls, IReadOnlyList<KmsInfo> kmsList)
    {
        foreach (var kms in kmsList)
        {
            var url = NormalizeUrl(kms.Url);
            if (url.Length == 0) continue;
            foreach (var vmUrl in vmKmsUrls)
            {
                if (string.Equals(url, NormalizeUrl(vmUrl), StringComparison.OrdinalIgnoreCase)) return kms;
            }
        }
        return kmsList.Count > 0 ? kmsList[0] : null;
    }

    private static string NormalizeUrl(string? url) => (url ?? "").Trim().TrimEnd('/');
}
