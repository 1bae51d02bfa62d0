using System.Net;

namespace Teehouse.Lite.Infrastructure.Config;

/// <summary>Checks the meaning of values once their types are right; returns human-readable problems.</summary>
public static class ConfigValidator
{
    private static readonly string[] LogLevels = ["verbose", "debug", "information", "warning", "error", "fatal"];

    public const string ReservedKmsName = "pins";

    public static List<string> Validate(TeehouseConfig c)
    {
        var problems = new List<string>();
        if (!ListenAddress.TryParse(c.Server.Listen, out _))
            problems.Add($"server.listen: '{c.Server.Listen}' is not HOST:PORT (e.g. 127.0.0.1:8080)");
        if (c.Server.PublicUrl is { Length: > 0 } url && !IsHttpUrl(url))
            problems.Add($"server.public_url: '{url}' is not an http(s) URL");
        if (c.Server.MaxBodyBytes is < 1024 or > 64L * 1024 * 1024)
            problems.Add("server.max_body_bytes: must be between 1024 and 67108864");
        if (string.IsNullOrEmpty(c.Server.TlsCert) != string.IsNullOrEmpty(c.Server.TlsKey))
            problems.Add("server.tls_cert and server.tls_key: set both (HTTPS) or neither (plain HTTP)");
        if (string.IsNullOrWhiteSpace(c.Database.Path))
            problems.Add("database.path: must not be empty");
        if (c.Database.BusyTimeoutMs is < 0 or > 600_000)
            problems.Add("database.busy_timeout_ms: must be between 0 and 600000");
        if (!LogLevels.Contains(c.Log.Level, StringComparer.OrdinalIgnoreCase))
            problems.Add($"log.level: '{c.Log.Level}' is not one of {string.Join(", ", LogLevels)}");
        if (c.Log.RetainedFiles is < 1 or > 10_000)
            problems.Add("log.retained_files: must be between 1 and 10000");
        if (c.Vmm.RequestTimeoutMs is < 100 or > 600_000)
            problems.Add("vmm.request_timeout_ms: must be between 100 and 600000");
        if (c.Vmm.PingIntervalS is < 1 or > 86_400)
            problems.Add("vmm.ping_interval_s: must be between 1 and 86400");
        if (c.Vmm.PingConcurrency is < 1 or > 256)
            problems.Add("vmm.ping_concurrency: must be between 1 and 256");
        if (c.Tools.TimeoutMs is < 100 or > 600_000)
            problems.Add("tools.timeout_ms: must be between 100 and 600000");
        if (c.Audit.RetentionDays is < 0 or > 36_500)
            problems.Add("audit.retention_days: must be between 0 (keep forever) and 36500");
        if (c.Metrics.Listen is { Length: > 0 } metricsListen && !ListenAddress.TryParse(metricsListen, out _))
            problems.Add($"metrics.listen: '{metricsListen}' is not HOST:PORT (e.g. 127.0.0.1:9464); empty = the main listener");

        foreach (var (name, tier) in c.Tiers)
        {
            if (name.Length == 0) problems.Add("tiers: a tier needs a name");
            foreach (var (key, value) in new (string, int?)[]
                     {
                         ("max_instances", tier.MaxInstances), ("max_vcpu", tier.MaxVcpu),
                         ("max_memory", tier.MaxMemory), ("max_disk", tier.MaxDisk),
                     })
            {
                if (value is < 0) problems.Add($"tiers.{name}.{key}: must not be negative");
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < c.Kms.Count; i++)
        {
            var kms = c.Kms[i];
            var where = $"kms[{i}]";
            if (string.IsNullOrWhiteSpace(kms.Id)) problems.Add($"{where}.id: is required");
            else if (!ids.Add(kms.Id)) problems.Add($"{where}.id: '{kms.Id}' is used twice");
            if (!IsHttpUrl(kms.Url)) problems.Add($"{where}.url: '{kms.Url}' is not an http(s) URL");
            if (kms.ChainId is < 0) problems.Add($"{where}.chain_id: must not be negative");
            if (kms.K256Pubkey is not null && !Crypto.K256.TryParseCompressed(kms.K256Pubkey, out _))
                problems.Add($"{where}.k256_pubkey: '{kms.K256Pubkey}' is not a compressed secp256k1 public key "
                             + "(66 hex characters starting with 02 or 03, as the KMS's GetMeta reports k256_pubkey)");
            // GET /api/v1/kms/pins is the admin's view of the pins: a KMS of that name could not be looked up.
            if (kms.Id == ReservedKmsName || kms.Slug == ReservedKmsName)
                problems.Add($"{where}: '{ReservedKmsName}' is reserved (GET /api/v1/kms/{ReservedKmsName}); use another id or slug");
        }
        return problems;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>A HOST:PORT pair as written in <c>server.listen</c> or <c>--listen</c>.</summary>
public readonly record struct ListenAddress(string Host, int Port)
{
    public static bool TryParse(string? value, out ListenAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(value)) return false;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out var port) || port is < 0 or > 65535) return false;
        var host = value[..colon].Trim('[', ']');
        if (host != "localhost" && !IPAddress.TryParse(host, out _)) return false;
        address = new ListenAddress(host, port);
        return true;
    }

    public string Url => Host.Contains(':') ? $"http://[{Host}]:{Port}" : $"http://{Host}:{Port}";
}
