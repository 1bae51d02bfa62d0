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
        if (name == "Info")
        {
            method = new PrpcMethod("Empty", _ => new GatewayInfoResponse(
                state.Options.GatewayBaseDomain,
                state.Options.GatewayPort,
                "_dstack-app-address",
                state.Options.Version));
            return true;
        }

        method = null!;
        return false;
    }
}
