namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>dstack-gateway <c>InfoResponse</c> (gateway_rpc.proto).</summary>
public sealed record GatewayInfo
{
    /// <summary>Apps are reached at <c>https://&lt;id&gt;-&lt;port&gt;.&lt;base_domain&gt;[:&lt;external_port&gt;]</c>.</summary>
    public string BaseDomain { get; init => field = value ?? ""; } = "";

    public int ExternalPort { get; init; }

    public string AppAddressNsPrefix { get; init => field = value ?? ""; } = "";

    public string Version { get; init => field = value ?? ""; } = "";
}
