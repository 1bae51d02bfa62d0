using System.Globalization;
using System.Runtime.InteropServices;

namespace Teehouse.Lite.Simulator;

/// <summary>
/// Standalone entry point (<c>--help</c> lists the options). Runs until Ctrl-C / SIGTERM.
/// </summary>
public static class SimulatorProgram
{
    internal static string Usage() => $$"""
        usage: Teehouse.Lite.Simulator [OPTION]...
        A dstack-vmm (with its KMS at /kms and gateway at /gateway) on 127.0.0.1, for trying Teehouse Lite without TDX.

          --port N               TCP port (default 0: a free one; the line "listening on http://127.0.0.1:N" names it)
          --vms N                VMs already on the host at start: running, stopped and exited ones (default 0)
          --seed N               seed of the VMs' contents and the KMS keys (default 20250101); VM ids mix in the
                                 port, so two simulators never share one and a restart on the same port repeats them
          --vmm-version V        dstack release to behave as: {{string.Join(" | ", Profiles.VmmProfile.Known)}}
                                 (default {{Profiles.VmmProfile.Newest}})
          --version V            only override the version string it reports
          --max-vcpu N           cvm.max_allocable_vcpu (default: 20, or twice what the --vms VMs hold when more)
          --max-memory-mb N      cvm.max_allocable_memory_in_mb (default: 100000, or twice what the --vms VMs hold)
          --max-cvm N            cvm.cid_pool_size, reported as max_cvm_number (default 1000, at least --vms)
          --auth-token T         enable [auth] with this token (repeat for more)
          --port-mapping         enable cvm.port_mapping (tcp 1-20000)
          --gpu                  enable cvm.gpu
          --fault MODE           start with a fault on /prpc and /logs: none | hang | slow | garbage | error500
                                 (change it at run time: POST /_sim/fault {"mode": "..."})
          --delay-ms N           delay of the slow fault (default 3000)
          -h, --help             this text
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            await Console.Out.WriteLineAsync(Usage());
            return 0;
        }

        SimulatorOptions options;
        try
        {
            options = ParseArgs(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            await Console.Error.WriteLineAsync("run with --help for the options");
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
            $"dstack-vmm simulator listening on http://127.0.0.1:{host.Port} ({host.State.VmCount} VMs, dstack {host.State.Profile}, "
            + $"{host.State.MaxAllocableVcpu} vCPU / {host.State.MaxAllocableMemoryMb} MB allocable)");
        await shutdown.Task;
        return 0;
    }

    internal static SimulatorOptions ParseArgs(string[] args)
    {
        // Capacity follows --vms unless given (see SimulatorOptions.MaxAllocableVcpu).
        var options = new SimulatorOptions { MaxAllocableVcpu = null, MaxAllocableMemoryMb = null };
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
