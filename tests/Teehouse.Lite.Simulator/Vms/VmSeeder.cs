using Teehouse.Lite.Simulator.Prpc;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Teehouse.Lite.Simulator.Kms;

namespace Teehouse.Lite.Simulator.Vms;

/// <summary>
/// Fills a fresh simulator with a realistic fleet: a mix of running, stopped and exited VMs, each with
/// an app-compose.json as vmm-cli writes it, spread over past creation times. Everything but wall-clock
/// offsets follows from the seed, and exactly one VM carries a truncated (invalid JSON) compose.
/// </summary>
internal static class VmSeeder
{
    private static readonly string[] Workloads =
    [
        "services:\n  web:\n    image: nginx:1.27-alpine\n    ports:\n      - \"8080:80\"\n    restart: always\n",
        "services:\n  cache:\n    image: redis:7.4\n    command: [\"redis-server\", \"--appendonly\", \"yes\"]\n    volumes:\n      - redis-data:/data\nvolumes:\n  redis-data: {}\n",
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n    volumes:\n      - pg:/var/lib/postgresql/data\nvolumes:\n  pg: {}\n",
        "services:\n  api:\n    image: ghcr.io/example/api:2.3.1\n    environment:\n      - API_KEY=${API_KEY}\n    ports:\n      - \"3000:3000\"\n    volumes:\n      - /var/run/dstack.sock:/var/run/dstack.sock\n",
        "services:\n  worker:\n    image: python:3.12-slim\n    command: python -m http.server 8000\n",
    ];

    private static readonly string[][] AllowedEnvs = [[], [], ["DB_PASSWORD"], ["API_KEY"], []];

    public static void Populate(SimulatorState state, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var rng = new Random(unchecked(state.Options.Seed * 31 + 7));
        var now = state.Now;
        var images = state.Options.Images;
        var brokenIndex = Math.Min(7, count);
        for (var i = 1; i <= count; i++)
        {
            var name = $"app-{i:0000}";
            var workload = rng.Next(Workloads.Length);
            var kms = rng.NextDouble() < 0.5;
            var gateway = rng.NextDouble() < 0.6;
            var publicLogs = rng.NextDouble() < 0.7;
            var compose = ComposeJson(name, Workloads[workload], AllowedEnvs[workload], kms, gateway, publicLogs);
            var roll = rng.NextDouble();
            var status = roll < 0.6 ? VmStatus.Running : roll < 0.85 ? VmStatus.Stopped : VmStatus.Exited;
            var createdAt = now - TimeSpan.FromMinutes(((long)(count - i) * 37) + rng.Next(1, 30) + 60);
            var image = images.Count == 0 ? "dstack-0.5.5" : images[rng.NextDouble() < 0.8 || images.Count == 1 ? 0 : 1 + rng.Next(images.Count - 1)].Name;
            var appId = kms ? Hex(rng, 20) : null;

            if (i == brokenIndex)
            {
                // Truncated mid-document: exercises clients that parse compose_file.
                compose = compose[..(compose.Length / 2)];
                status = VmStatus.Stopped;
                kms = false;
                appId = null;
            }

            DateTimeOffset? startedAt = null;
            DateTimeOffset? stoppedAt = null;
            var neverStarted = status == VmStatus.Stopped && rng.NextDouble() < 0.3;
            if (!neverStarted)
            {
                startedAt = createdAt + TimeSpan.FromSeconds(rng.Next(1, 600));
                if (status != VmStatus.Running)
                {
                    stoppedAt = startedAt + TimeSpan.FromMinutes(rng.Next(1, 60 * 24));
                    if (stoppedAt > now)
                    {
                        stoppedAt = now - TimeSpan.FromSeconds(rng.Next(1, 60));
                    }
                }
            }

            var instanceId = status == VmStatus.Running && rng.NextDouble() < 0.75 ? Hex(rng, 20) : null;
            var envelope = kms ? SealedEnv(state, rng, appId!, workload) : [];
            var spec = new VmSpec
            {
                Name = name,
                Image = image,
                ComposeFile = compose,
                AppId = appId,
                Vcpu = (uint)(1 << rng.Next(0, 4)),
                Memory = (uint)(1024 << rng.Next(0, 4)),
                DiskSize = (uint)(20 << rng.Next(0, 3)),
                Status = status,
                InstanceId = instanceId,
                EncryptedEnv = envelope,
                CreatedAt = createdAt,
                ProcessStartedAt = startedAt,
                ProcessStoppedAt = stoppedAt,
                // Only the newest running VMs may still be booting; older ones finished long ago.
                BootProgress = startedAt is null ? "" : status == VmStatus.Running && instanceId is null && i > count - Math.Max(1, count / 50) ? "booting" : "done",
            };
            var id = state.AddVm(spec);
            if (i == brokenIndex)
            {
                state.BrokenComposeVmId = id;
            }

            if (startedAt is { } started)
            {
                state.SeedGuestEvents(id, BootEvents(started, spec.BootProgress!, status == VmStatus.Exited && rng.NextDouble() < 0.5));
            }
        }
    }

    /// <summary>vmm-cli's <c>compose</c> output: four-space indented JSON in its fixed key order.</summary>
    internal static string ComposeJson(string name, string dockerCompose, string[] allowedEnvs, bool kms, bool gateway, bool publicLogs)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 4,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            w.WriteStartObject();
            w.WriteNumber("manifest_version", 2);
            w.WriteString("name", name);
            w.WriteString("runner", "docker-compose");
            w.WriteString("docker_compose_file", dockerCompose);
            w.WriteBoolean("kms_enabled", kms);
            w.WriteBoolean("gateway_enabled", gateway);
            w.WriteBoolean("local_key_provider_enabled", false);
            w.WriteString("key_provider_id", "");
            w.WriteBoolean("public_logs", publicLogs);
            w.WriteBoolean("public_sysinfo", publicLogs);
            w.WriteStartArray("allowed_envs");
            foreach (var env in allowedEnvs)
            {
                w.WriteStringValue(env);
            }

            w.WriteEndArray();
            w.WriteBoolean("no_instance_id", false);
            w.WriteBoolean("secure_time", false);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static IEnumerable<GuestEvent> BootEvents(DateTimeOffset started, string finalProgress, bool failed)
    {
        var ms = (ulong)started.ToUnixTimeMilliseconds();
        yield return new GuestEvent("boot.progress", "initializing", ms + 2_000);
        yield return new GuestEvent("boot.progress", "requesting app keys", ms + 4_500);
        yield return new GuestEvent("boot.progress", "starting containers", ms + 9_000);
        if (failed)
        {
            yield return new GuestEvent("boot.error", "failed to start containers: exit status 1", ms + 15_000);
        }
        else if (finalProgress == "done")
        {
            yield return new GuestEvent("boot.progress", "done", ms + 21_000);
        }
    }

    private static byte[] SealedEnv(SimulatorState state, Random rng, string appIdHex, int workload)
    {
        var keys = AllowedEnvs[workload].Length > 0 ? AllowedEnvs[workload] : ["LOG_LEVEL"];
        var env = keys.Select(k => new Dictionary<string, string> { ["key"] = k, ["value"] = Hex(rng, 8) }).ToList();
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["env"] = env }, PrpcJson.Plain);
        var ephemeral = new byte[32];
        rng.NextBytes(ephemeral);
        var nonce = new byte[12];
        rng.NextBytes(nonce);
        return EnvEncryption.Encrypt(state.GetEnvEncryptPublicKey(appIdHex), plaintext, ephemeral, nonce);
    }

    private static string Hex(Random rng, int bytes)
    {
        var buffer = new byte[bytes];
        rng.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
