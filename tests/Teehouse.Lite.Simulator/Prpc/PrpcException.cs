namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>
/// A failed RPC. <see cref="Exception.Message"/> is the complete anyhow chain as dstack renders it
/// with <c>{:#}</c> ("outer: inner: root"), so the message goes to the client verbatim.
/// </summary>
internal sealed class PrpcException(string message) : Exception(message)
{
    /// <summary>Adds an outer anyhow context, like <c>.context("...")</c> does in Rust.</summary>
    public PrpcException WithContext(string context) => new($"{context}: {Message}");

    /// <summary>The io::Error text Rust prints for ENOENT.</summary>
    public const string NoSuchFile = "No such file or directory (os error 2)";
}
