using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// The dstack-vmm simulator (tests/Teehouse.Lite.Simulator) run as its own process, driven through its <c>/_sim</c>
/// control API.
/// <para>
/// Why not <c>SimulatorHost.StartAsync</c> in-process: this test project runs with
/// <c>JsonSerializerIsReflectionEnabledByDefault=false</c> (so tests fail like AOT would), and the simulator serializes
/// with reflection-based System.Text.Json, which then throws. Its own executable keeps the default, so it works there.
/// Once the simulator carries an explicit TypeInfoResolver, these tests can switch to the in-process host.
/// </para>
/// </summary>
public sealed class SimulatorProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string[] _args;
    private Process? _process;

    private SimulatorProcess(string[] args) => _args = args;

    public int Port { get; private set; }

    /// <summary>dstack-vmm root, no trailing slash: <c>http://127.0.0.1:N</c>.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public string KmsUrl => $"{BaseUrl}/kms";

    public string GatewayUrl => $"{BaseUrl}/gateway";

    /// <param name="vmmVersion">dstack release to simulate (<c>--vmm-version</c>); null is the simulator's default, the newest release.</param>
    /// <param name="version">Overrides only the reported version string (<c>--version</c>).</param>
    public static async Task<SimulatorProcess> StartAsync(
        int vms = 0, IReadOnlyList<string>? tokens = null, string? vmmVersion = null, string? version = null)
    {
        var args = new List<string> { "--vms", vms.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var token in tokens ?? [])
        {
            args.Add("--auth-token");
            args.Add(token);
        }

        if (vmmVersion is not null)
        {
            args.AddRange(["--vmm-version", vmmVersion]);
        }

        if (version is not null)
        {
            args.AddRange(["--version", version]);
        }

        var sim = new SimulatorProcess([.. args]);
        try
        {
            await sim.LaunchAsync(port: 0);
            return sim;
        }
        catch
        {
            await sim.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the simulator: its port refuses connections until <see cref="ComeBackAsync"/>.</summary>
    public async Task GoDownAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>Starts it again on the same port (with the same seed, hence the same pre-populated VMs).</summary>
    public async Task ComeBackAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await LaunchAsync(Port);
                return;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary><c>none</c>, <c>hang</c>, <c>slow</c>, <c>garbage</c> or <c>error500</c> on <c>/prpc</c> and <c>/logs</c>.</summary>
    public async Task SetFaultAsync(string mode, int? delayMs = null)
    {
        using var http = new HttpClient();
        var body = delayMs is { } ms ? $$"""{"mode":"{{mode}}","delay_ms":{{ms}}}""" : $$"""{"mode":"{{mode}}"}""";
        using var response = await http.PostAsync($"{BaseUrl}/_sim/fault", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The simulator's own view of its VMs (<c>GET /_sim/vms</c>).</summary>
    public async Task<JsonElement> VmsAsync()
    {
        using var http = new HttpClient();
        return await http.GetFromJsonAsync($"{BaseUrl}/_sim/vms", TestJson.Default.JsonElement);
    }

    /// <summary><c>GET /_sim/state</c>: vm_count, status_counts, kms_k256_pubkey, …</summary>
    public async Task<JsonElement> StateAsync()
    {
        using var http = new HttpClient();
        return await http.GetFromJsonAsync($"{BaseUrl}/_sim/state", TestJson.Default.JsonElement);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await GoDownAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task LaunchAsync(int port)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Teehouse.Lite.Simulator.dll");
        Assert.True(File.Exists(dll), $"simulator not found at {dll}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var arg in _args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the simulator");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();

        // "dstack-vmm simulator listening on http://127.0.0.1:41234 (N VMs)"
        using var timeout = new CancellationTokenSource(StartTimeout);
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        var marker = "listening on http://127.0.0.1:";
        var at = line?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        if (line is null || at < 0)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            await process.WaitForExitAsync();
            string errors;
            lock (stderr)
            {
                errors = stderr.ToString();
            }

            process.Dispose();
            throw new InvalidOperationException($"the simulator did not start: {line} {errors}");
        }

        var rest = line[(at + marker.Length)..];
        Port = int.Parse(rest[..rest.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        _ = DrainAsync(process.StandardOutput);
        _process = process;
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is not null)
            {
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonElement))]
internal sealed partial class TestJson : System.Text.Json.Serialization.JsonSerializerContext;
