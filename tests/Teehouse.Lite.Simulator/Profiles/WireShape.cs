using System.Text.Json.Nodes;
using Teehouse.Lite.Simulator.Gateway;
using Teehouse.Lite.Simulator.Kms;
using Teehouse.Lite.Simulator.Vmm;

namespace Teehouse.Lite.Simulator.Profiles;

/// <summary>
/// Cuts a response built with next's messages down to what a release's proto has. prpc-build's serde derive writes
/// every field of its struct (defaults and <c>null</c> included) and nothing else, so a field added later is simply
/// absent from the JSON of an older release; this removes exactly those keys (proto diffs per tag are cited on the
/// <see cref="VmmProfile"/> flags).
/// </summary>
internal static class WireShape
{
    public static void Apply(JsonNode? node, object message, VmmProfile p)
    {
        if (node is not JsonObject obj)
        {
            return;
        }

        switch (message)
        {
            case StatusResponse:
                foreach (var vm in obj["vms"]?.AsArray() ?? [])
                {
                    VmInfo(vm as JsonObject, p);
                }

                break;
            case GetInfoResponse:
                VmInfo(obj["info"] as JsonObject, p);
                break;
            case GetMetaResponse:
                Drop(obj, !p.HasMultiNetworking, "networking");
                if (p.HasMaxDiskSize && obj["resources"] is JsonObject resources)
                {
                    // v0.4.2 ResourcesSettings.max_disk_size_in_gb = 4 (cvm.max_disk_size, vmm.toml default 500).
                    resources["max_disk_size_in_gb"] = MaxDiskSizeGb;
                }

                break;
            case PublicKeyResponse:
                Drop(obj, !p.KmsSignsV1, "timestamp", "signature_v1");
                break;
            case ListGpusResponse:
                Drop(obj, !p.ListGpusHasAllowAttachAll, "allow_attach_all");
                break;
            case KmsGetMetaResponse:
                Drop(obj, !p.KmsMetaHasAuthDetails, "is_dev", "gateway_app_id", "kms_contract_address", "chain_id", "app_auth_implementation");
                break;
            case GatewayInfoResponse:
                Drop(obj, !p.GatewayInfoHasVersion, "version");
                break;
        }
    }

    /// <summary>0.4.x <c>cvm.max_disk_size</c> default (v0.4.2 vmm/vmm.toml:24).</summary>
    public const uint MaxDiskSizeGb = 500;

    private static void VmInfo(JsonObject? info, VmmProfile p)
    {
        if (info is null)
        {
            return;
        }

        Drop(info, !p.VmInfoHasEvents, "events");
        Drop(info, !p.HasMultiNetworking, "interfaces");
        if (info["configuration"] is not JsonObject config)
        {
            return;
        }

        Drop(config, !p.HasPerVmUrls, "kms_urls", "gateway_urls");
        Drop(config, !p.CreateCanStayStopped, "stopped");
        Drop(config, !p.HasNoTeeAndNetworking, "no_tee", "networking");
        Drop(config, !p.HasMultiNetworking, "networks", "simulated_tee");
        if (!p.HasMultiNetworking && config["networking"] is JsonObject networking)
        {
            networking.Remove("bridge_name");
        }
    }

    private static void Drop(JsonObject obj, bool absent, params string[] fields)
    {
        if (!absent)
        {
            return;
        }

        foreach (var field in fields)
        {
            obj.Remove(field);
        }
    }
}
