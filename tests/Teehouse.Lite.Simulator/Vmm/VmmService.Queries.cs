using System.Text;
using System.Text.Json;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator.Vmm;

/// <summary>Read-only RPCs: Status, GetInfo, ListImages, GetMeta, ReloadVms and the KMS key proxy.</summary>
internal sealed partial class VmmService
{
    private StatusResponse Status(StatusRequest request)
    {
        lock (_state.Sync)
        {
            var now = _state.Now;
            var ids = request.Ids.Count > 0 ? new HashSet<string>(request.Ids, StringComparer.Ordinal) : null;
            var keyword = request.Keyword;
            var filtered = _state.SortedVms()
                .Where(vm => ids is null || ids.Contains(vm.Id))
                .Where(vm => keyword.Length == 0
                    || vm.Name.Contains(keyword, StringComparison.Ordinal)
                    || vm.Id.Contains(keyword, StringComparison.Ordinal)
                    || vm.AppId.Contains(keyword, StringComparison.Ordinal)
                    || vm.Image.Contains(keyword, StringComparison.Ordinal))
                .ToList();

            IEnumerable<VmRecord> page = filtered;
            if (request.Page != 0 && request.PageSize != 0)
            {
                var skip = (ulong)(request.Page - 1) * request.PageSize;
                page = skip >= (ulong)filtered.Count ? [] : filtered.Skip((int)skip).Take((int)request.PageSize);
            }

            var infos = page.Select(vm => VmInfoBuilder.Build(vm, _options, _profile, request.Brief, now)).ToList();
            return new StatusResponse(infos, _options.PortMappingEnabled, (uint)filtered.Count);
        }
    }

    private GetInfoResponse GetInfo(string id)
    {
        lock (_state.Sync)
        {
            return _state.TryGetVm(id, out var vm)
                ? new GetInfoResponse(true, VmInfoBuilder.Build(vm, _options, _profile, brief: false, _state.Now))
                : new GetInfoResponse(false, null);
        }
    }

    private ImageListResponse ListImages() =>
        new(_options.Images
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .Select(i => new ImageInfoMessage(i.Name, ImageDescription(i), i.Version, i.IsDev))
            .ToList());

    internal static string ImageDescription(SimImage image) =>
        JsonSerializer.Serialize(
            new ImageMetadata(
                image.EffectiveCmdline,
                image.Kernel,
                image.Initrd,
                null,
                image.Rootfs,
                image.Bios,
                null,
                image.Rootfs is null ? null : image.RootfsHash,
                image.SharedRo,
                image.Version,
                image.IsDev,
                null),
            PrpcJson.Compact);

    private GetMetaResponse GetMeta()
    {
        var kmsUrls = _options.KmsUrls ?? [new Uri(_state.BaseUrl, "kms").ToString()];
        var gatewayUrls = _options.GatewayUrls ?? [new Uri(_state.BaseUrl, "gateway").ToString()];
        return new GetMetaResponse(
            new KmsSettingsMessage(kmsUrls.FirstOrDefault() ?? "", kmsUrls),
            new GatewaySettingsMessage(
                gatewayUrls.FirstOrDefault() ?? "",
                _options.GatewayBaseDomain,
                _options.GatewayPort,
                _options.GatewayAgentPort,
                gatewayUrls),
            new ResourcesSettingsMessage(_state.CidCapacity, _state.MaxAllocableVcpu, _state.MaxAllocableMemoryMb),
            new NetworkingCapabilitiesMessage(["user"], "user", ""));
    }

    private ReloadVmsResponse ReloadVms()
    {
        lock (_state.Sync)
        {
            return new ReloadVmsResponse(0, (uint)_state.VmCountUnlocked, 0);
        }
    }

    private PublicKeyResponse GetAppEnvEncryptPubKey(byte[] appId)
    {
        if (!_options.KmsConfigured)
        {
            throw new PrpcException("KMS is not configured");
        }

        try
        {
            return _kms.EnvEncryptPubKey(appId);
        }
        catch (PrpcException e)
        {
            // The VMM relays KMS failures as its RA-TLS client reports them.
            var body = Encoding.UTF8.GetString(PrpcJson.ErrorBody(e.Message));
            throw new PrpcException($"Request failed with status=400 Bad Request, error={body}");
        }
    }
}
