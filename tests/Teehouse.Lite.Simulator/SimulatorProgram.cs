using System.Globalization;
using System.Runtime.InteropServices;

namespace Teehouse.Lite.Simulator;

/// <summary>
/// Standalone entry point:
/// <c>--port N --vms N [--auth-token T]... [--fault none|hang|slow|garbage|error500 --delay-ms N]
/// [--max-cvm N] [--max-vcpu N] [--max-memory-mb N] [--port-mapping] [--gpu] [--seed N] [--vmm-version PROFILE] [--version V]</c>.
/// <c>--vmm-version</c> picks the dstack release to behave as (default the newest, see <see cref="Profiles.VmmProfile.Known"/>);
/// <c>--version</c> only overrides the version string it reports.
/// Runs until Ctrl-C / SIGTERM.
/// </summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        SimulatorOptions options;
        try
        {
            options = ParseArgs(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            await Console.Error.WriteLineAsync(
                "usage: Teehouse.Lite.Simulator [--port N] [--vms N] [--auth-token T]... [--fault MODE] [--delay-ms N] "
                + "[--max-cvm N] [--max-vcpu N] [--max-memory-mb N] [--port-mapping] [--gpu] [--seed N] "
                + $"[--vmm-version {string.Join('|', Profiles.VmmProfile.Known)}] [--version V]");
            return 2;
        }

        var shutdown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            shutdown.TrySetResult();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            shutdown.TrySetResult();
        });

        await using var host = await SimulatorHost.StartAsync(options);
        Console.WriteLine(
            $"dstack-vmm simulator listening on http://127.0.0.1:{host.Port} ({host.State.VmCount} VMs, dstack {host.State.Profile})");
        await shutdown.Task;
        return 0;
    }

    internal static SimulatorOptions ParseArgs(string[] args)
    {
        var options = new SimulatorOptions();
        var tokens = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            int Int() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"{arg} needs a non-negative integer");

            switch (arg)
            {
                case "--port": options.Port = Int(); break;
                case "--vms": options.PrepopulateVms = Int(); break;
                case "--auth-token": tokens.Add(Value()); break;
                case "--max-cvm": options.MaxCvmNumber = (uint)Int(); break;
                case "--max-vcpu": options.MaxAllocableVcpu = (uint)Int(); break;
                case "--max-memory-mb": options.MaxAllocableMemoryMb = (uint)Int(); break;
                case "--port-mapping": options.PortMappingEnabled = true; break;
                case "--gpu": options.GpuEnabled = true; break;
                case "--seed": options.Seed = Int(); break;
                case "--version": options.Version = Value(); break;
                case "--vmm-version": options.VmmVersion = Profiles.VmmProfile.Parse(Value()).Name; break;
                case "--delay-ms": options.InitialFaultDelay = TimeSpan.FromMilliseconds(Int()); break;
                case "--fault":
                    options.InitialFault = Value().ToLowerInvariant() switch
                    {
                        "none" => FaultMode.None,
                        "hang" => FaultMode.Hang,
                        "slow" => FaultMode.Slow,
                        "garbage" => FaultMode.Garbage,
                        "error500" => FaultMode.Error500,
                        var other => throw new ArgumentException($"unknown fault mode {other}"),
                    };
                    break;
                default:
                    throw new ArgumentException($"unknown argument {arg}");
            }
        }

        if (tokens.Count > 0)
        {
            options.AuthEnabled = true;
            options.Tokens = tokens;
        }

        return options;
    }
}
