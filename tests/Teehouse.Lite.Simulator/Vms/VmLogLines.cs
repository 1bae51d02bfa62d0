using System.Globalization;
using System.Text.RegularExpressions;

namespace Teehouse.Lite.Simulator.Vms;

/// <summary>
/// Synthetic output of a VM boot, close enough to a dstack guest's to be recognisable: the serial channel is the
/// kernel and systemd console (with colour codes, which <c>ansi=false</c> strips), stdout/stderr what the app's
/// <c>docker compose up</c> prints (one line per service of the compose file; warnings on stderr).
/// </summary>
internal static partial class VmLogLines
{
    public static void Boot(VmRecord vm)
    {
        var log = vm.Log;
        var memKb = (long)vm.Memory * 1024;
        log.Append(LogChannel.Stdout, $"Starting VM {vm.Id} ({vm.Name}) with {vm.Vcpu} vCPU(s), {vm.Memory}MB memory, image {vm.Image}");
        foreach (var line in (string[])[
            "[    0.000000] Linux version 6.9.0-dstack (builder@dstack) (gcc (GCC) 13.2.0, GNU ld (GNU Binutils) 2.42) #1 SMP PREEMPT_DYNAMIC",
            "[    0.000000] Command line: console=ttyS0 init=/init panic=1 net.ifnames=0 biosdevname=0 mce=off oops=panic",
            "[    0.000000] BIOS-provided physical RAM map:",
            $"[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x{Math.Max(memKb * 1024 - 1, 0x1fffff):x16}] usable",
            "[    0.000000] tdx: Guest detected",
            "[    0.000000] tdx: Attributes: SEPT_VE_DISABLE",
            "[    0.000000] Memory Encryption Features active: Intel TDX",
            string.Create(CultureInfo.InvariantCulture, $"[    0.012345] smpboot: Allowing {vm.Vcpu} CPUs, 0 hotplug CPUs"),
            string.Create(CultureInfo.InvariantCulture, $"[    0.104210] Memory: {memKb * 97 / 100}K/{memKb}K available"),
            "[    0.231008] virtio_blk virtio1: [vda] 41943040 512-byte logical blocks (21.5 GB/20.0 GiB)",
            "[    0.412233] EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
            "[    0.530017] Run /init as init process",
            "\u001b[0;32m[  OK  ]\u001b[0m Reached target Basic System.",
            "         Starting dstack-prepare.service - dstack guest preparation...",
            $"dstack-prepare: app_id={vm.AppId}",
            "dstack-prepare: requesting app keys from the KMS",
            "dstack-prepare: disk encryption key derived; mounting /dstack/data",
            "\u001b[0;32m[  OK  ]\u001b[0m Finished dstack-prepare.service - dstack guest preparation.",
            "\u001b[0;32m[  OK  ]\u001b[0m Started Docker Application Container Engine.",
            "dstack-guest-agent: listening on 0.0.0.0:8090",
            "\u001b[0;32m[  OK  ]\u001b[0m Started app-compose.service - App Compose Service.",
            "\u001b[0;32m[  OK  ]\u001b[0m Reached target Multi-User System.",
        ])
        {
            log.Append(LogChannel.Serial, line);
        }

        var services = Services(vm.ComposeFile);
        var project = vm.Name.ToLowerInvariant();
        log.Append(LogChannel.Stderr, string.Create(CultureInfo.InvariantCulture, $" Network {project}_default  Creating"));
        log.Append(LogChannel.Stderr, string.Create(CultureInfo.InvariantCulture, $" Network {project}_default  Created"));
        foreach (var service in services)
        {
            log.Append(LogChannel.Stderr, $" Container {project}-{service}-1  Creating");
            log.Append(LogChannel.Stderr, $" Container {project}-{service}-1  Started");
        }
        log.Append(LogChannel.Stderr, "WARN[0000] /dstack/app/docker-compose.yaml: the attribute `version` is obsolete, it will be ignored");
        foreach (var service in services)
        {
            var prefix = $"{service}-1".PadRight(12) + "| ";
            log.Append(LogChannel.Stdout, $"{prefix}Starting {service}...");
            log.Append(LogChannel.Stdout, $"{prefix}listening on 0.0.0.0:8080");
            log.Append(LogChannel.Stdout, $"{prefix}ready");
        }
    }

    /// <summary>The service names of the compose file's docker-compose YAML (two-space keys under <c>services:</c>).</summary>
    private static List<string> Services(string appCompose)
    {
        string yaml;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(appCompose);
            yaml = doc.RootElement.TryGetProperty("docker_compose_file", out var f) ? f.GetString() ?? "" : "";
        }
        catch (System.Text.Json.JsonException)
        {
            yaml = "";
        }
        var names = new List<string>();
        var inServices = false;
        foreach (var raw in yaml.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("services:", StringComparison.Ordinal)) { inServices = true; continue; }
            if (line.Length > 0 && !char.IsWhiteSpace(line[0])) inServices = false;
            if (inServices && ServiceKey().Match(line) is { Success: true } m) names.Add(m.Groups[1].Value);
        }
        return names.Count > 0 ? names : ["app"];
    }

    [GeneratedRegex(@"^  ([A-Za-z0-9][A-Za-z0-9_.-]*):\s*$")]
    private static partial Regex ServiceKey();
}
