using Teehouse.Lite.Simulator.Prpc;

namespace Teehouse.Lite.Simulator.Gateway;

/// <summary>dstack-gateway <c>Info</c> response (gateway_rpc.proto).</summary>
internal sealed record GatewayInfoResponse(string BaseDomain, uint ExternalPort, string AppAddressNsPrefix, string Version);

/// <summary>The gateway's public <c>Info</c> RPC, mounted at <c>/gateway/prpc</c> (legacy prefix "Tproxy.").</summary>
internal sealed class GatewayService(SimulatorState state) : IPrpcService
{
    public string TrimPrefix => "Tproxy.";

    public bool TryGetMethod(string name, out PrpcMethod method)
    {
        // Info exists from 0.5.4; its version field from 0.5.6 (dropped by WireShape before that).
        if (name == "Info" && state.Profile.GatewayHasInfo)
        {
            method = new PrpcMethod("Empty", _ => new GatewayInfoResponse(
                state.Options.GatewayBaseDomain,
                state.Options.GatewayPort,
                "_dstack-app-address",
                state.ReportedVersion));
            return true;
        }

        method = null!;
        return false;
    }
}
