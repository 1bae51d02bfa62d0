using Teehouse.Lite.Cli;

namespace Teehouse.Lite.Tests.Cli;

public sealed record CliResult(int ExitCode, string Out, string Err);

/// <summary>Runs the real command line in-process with captured stdout/stderr.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await TeehouseCli.RunAsync(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
