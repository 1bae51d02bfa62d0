using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Teehouse.Lite.Tests.Packaging;

/// <summary>Runs an executable as a real child process and captures its output.</summary>
public static class ChildProcess
{
    public static async Task<(int ExitCode, string Out, string Err)> RunAsync(
        string file, string workingDirectory, CancellationToken ct, params string[] args)
    {
        using var process = Start(file, workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw; }
        return (process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("TEEHOUSE_CONFIG");
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
