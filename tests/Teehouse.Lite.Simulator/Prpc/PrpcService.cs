namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>One RPC: its proto input type name (for serde-style errors) and a handler returning the
/// response message, or null for <c>google.protobuf.Empty</c> (serialized as JSON <c>null</c>).</summary>
internal sealed record PrpcMethod(string InputType, Func<MessageReader, object?> Handler);

/// <summary>A pRPC service mounted under some <c>.../prpc/</c> prefix.</summary>
internal interface IPrpcService
{
    /// <summary>Legacy service-name prefix that dstack strips from method names (e.g. "Teepod.").</summary>
    string TrimPrefix { get; }

    bool TryGetMethod(string name, out PrpcMethod method);
}
