using System.Text;

namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>
/// A failed RPC, kept as its anyhow chain (outermost context first) because dstack versions print the chain
/// differently: <see cref="Render"/> gives either the one-line <c>{:#}</c> form or the multi-line <c>{:?}</c> form.
/// <see cref="Exception.Message"/> is the one-line form.
/// </summary>
internal sealed class PrpcException : Exception
{
    public PrpcException(string message)
        : this([message])
    {
    }

    /// <summary>An error with context: <paramref name="chain"/>[0] is the outermost <c>.context(..)</c>, the last the root cause.</summary>
    public PrpcException(params string[] chain)
        : base(string.Join(": ", chain))
    {
        Chain = chain;
    }

    public IReadOnlyList<string> Chain { get; }

    /// <summary>The io::Error text Rust prints for ENOENT.</summary>
    public const string NoSuchFile = "No such file or directory (os error 2)";

    /// <summary>Adds an outer anyhow context, like <c>.context("...")</c> does in Rust.</summary>
    public PrpcException WithContext(string context) => new([context, .. Chain]);

    /// <summary>The error text ra-rpc sends: <c>{:#}</c> ("outer: inner") or, with <paramref name="multiLine"/>, <c>{:?}</c>.</summary>
    public string Render(bool multiLine) => multiLine ? AnyhowDebug(Chain) : Message;

    /// <summary>
    /// anyhow's Debug rendering (anyhow src/fmt.rs, no backtrace captured): the outer message, then
    /// "\n\nCaused by:" and each cause on its own line, indented 4 spaces and numbered only when there are two or more.
    /// </summary>
    internal static string AnyhowDebug(IReadOnlyList<string> chain)
    {
        var sb = new StringBuilder(chain[0]);
        if (chain.Count == 1)
        {
            return sb.ToString();
        }

        sb.Append("\n\nCaused by:");
        var numbered = chain.Count > 2;
        for (var i = 1; i < chain.Count; i++)
        {
            sb.Append('\n');
            var lines = chain[i].Split('\n');
            // anyhow's Indented writer: "    N: " before the first line, every further line (even empty) under the text.
            sb.Append(numbered ? $"{i - 1,5}: " : "    ").Append(lines[0]);
            foreach (var line in lines.Skip(1))
            {
                sb.Append('\n').Append(numbered ? "       " : "    ").Append(line);
            }
        }

        return sb.ToString();
    }
}
