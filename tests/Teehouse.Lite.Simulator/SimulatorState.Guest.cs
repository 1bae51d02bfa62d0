using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator;

/// <summary>What the guest does to its VM's state: crashes, host-API notifications (boot/shutdown progress, instance info).</summary>
public sealed partial class SimulatorState
{
    /// <summary>The guest's QEMU process dies while the VM is meant to run: status becomes "exited".</summary>
    public bool CrashVm(string id, int exitCode = 1)
    {
        lock (Sync)
        {
            if (!_vms.TryGetValue(id, out var vm) || !vm.Running)
            {
                return false;
            }

            StopProcess(vm);
            vm.Log.Append(LogChannel.Stderr, $"qemu-system-x86_64: terminating on signal 9 (exit code {exitCode})");
            return true;
        }
    }

    /// <summary>
    /// A host-API <c>Notify</c> from the guest: <c>boot.progress</c>, <c>boot.error</c>,
    /// <c>shutdown.progress</c> or <c>instance.info</c>. Returns false for an unknown VM.
    /// </summary>
    public bool ReportGuestEvent(string id, string eventName, string body)
    {
        lock (Sync)
        {
            if (!_vms.TryGetValue(id, out var vm))
            {
                return false;
            }

            ApplyGuestEvent(vm, eventName, body);
            return true;
        }
    }

    /// <summary>Convenience for the usual guest boot report: progress plus, optionally, its instance id.</summary>
    public bool ReportBoot(string id, string progress, string? instanceId = null)
    {
        lock (Sync)
        {
            if (!_vms.TryGetValue(id, out var vm))
            {
                return false;
            }

            if (instanceId is not null)
            {
                var info = JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["instance_id_seed"] = HexBytes.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(id)).AsSpan(0, 20)),
                    ["instance_id"] = instanceId,
                    ["app_id"] = vm.AppId,
                }, PrpcJson.Plain);
                ApplyGuestEvent(vm, "instance.info", info);
            }

            ApplyGuestEvent(vm, "boot.progress", progress);
            return true;
        }
    }

    /// <summary>Back-dated guest history for pre-populated VMs (events keep their own timestamps).</summary>
    internal void SeedGuestEvents(string id, IEnumerable<GuestEvent> events)
    {
        lock (Sync)
        {
            if (!_vms.TryGetValue(id, out var vm))
            {
                return;
            }

            foreach (var e in events)
            {
                vm.AddEvent(e, Options.EventBufferSize);
                if (e.Event == "boot.error")
                {
                    vm.BootError = e.Body;
                }
            }
        }
    }

    internal void ApplyGuestEvent(VmRecord vm, string eventName, string body)
    {
        vm.AddEvent(new GuestEvent(eventName, body, (ulong)Now.ToUnixTimeMilliseconds()), Options.EventBufferSize);
        switch (eventName)
        {
            case "boot.progress":
                vm.BootProgress = body;
                vm.Log.Append(LogChannel.Serial, $"dstack-prepare: boot progress: {body}");
                break;
            case "boot.error":
                vm.BootError = body;
                vm.Log.Append(LogChannel.Serial, $"\u001b[31mdstack-prepare: boot error: {body}\u001b[0m");
                break;
            case "shutdown.progress":
                if (body == "powering off")
                {
                    vm.Started = false;
                }

                vm.ShutdownProgress = body;
                break;
            case "instance.info":
                vm.InstanceId = InstanceIdFromInfo(body);
                break;
        }
    }

    private static string? InstanceIdFromInfo(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("instance_id", out var v)
                && v.ValueKind == JsonValueKind.String)
            {
                var hex = HexBytes.Encode(HexBytes.Decode(v.GetString()!));
                return hex.Length == 0 ? null : hex;
            }
        }
        catch (Exception e) when (e is JsonException or PrpcException)
        {
            // dstack treats an unreadable .instance_info as "no instance id yet".
        }

        return null;
    }
}
