using System.Diagnostics;
using System.Text;
using Teehouse.Lite.Tests.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Hosting;

/// <summary>
/// The JIT `teehouse` binary as an operator runs it: as root, or as nobody through setpriv (the tests run as root),
/// with HOME pointed into the test's folder so nothing it writes there goes unseen.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeProcess : IDisposable
{
    public const string Nobody = "nobody";
    private readonly Process _process;
    private readonly StringBuilder _out = new(), _err = new();
    private bool _disposed;

    private ServeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;
    public string Out { get { lock (_out) return _out.ToString(); } }
    public string Err { get { lock (_err) return _err.ToString(); } }

    public static ServeProcess Start(string directory, bool asNobody, params string[] args)
    {
        var cli = TeehouseCliProcess.Path;
        var info = new ProcessStartInfo(asNobody ? "setpriv" : cli)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asNobody)
        {
            foreach (var arg in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", cli }) info.ArgumentList.Add(arg);
        }
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("TEEHOUSE_CONFIG");
        info.Environment["HOME"] = Path.Combine(directory, "home");
        return new ServeProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {cli}"));
    }

    /// <summary>Runs a command to its end: exit code, stdout, stderr.</summary>
    public static async Task<(int ExitCode, string Out, string Err)> RunAsync(CancellationToken ct, string directory, bool asNobody, params string[] args)
    {
        using var process = Start(directory, asNobody, args);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try { await process._process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process._process.Kill(entireProcessTree: true); throw; }
        process._process.WaitForExit(); // drains the asynchronous readers
        return (process._process.ExitCode, process.Out, process.Err);
    }

    /// <summary>Polls until <paramref name="url"/> answers 200; fails with the server's output if it exits first.</summary>
    public async Task WaitUntilHealthyAsync(HttpClient http, string url, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.False(_process.HasExited, $"server exited {(_process.HasExited ? _process.ExitCode : 0)}:\n{Out}\n{Err}");
            try
            {
                using var response = await http.GetAsync(url, ct);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100, ct);
        }
        Assert.Fail($"{url} never answered:\n{Out}\n{Err}");
    }

    /// <summary>Stops the server (SIGKILL: what matters here is its start, and the kernel drops its lock).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }

    /// <summary>The one line an operator sees for a failure, asserted exactly: no frames, nothing else.</summary>
    public static void AssertOneLine(string expected, string stderr, string stdout)
    {
        Assert.Equal(expected + "\n", stderr.Replace("\r", ""));
        Assert.DoesNotContain("   at ", stdout);
    }

    public static async Task ChownToNobodyAsync(string path, CancellationToken ct)
    {
        var (code, _, err) = await Packaging.ChildProcess.RunAsync("chown", "/", ct, "-R", "65534:65534", path);
        Assert.True(code == 0, err);
    }
}
