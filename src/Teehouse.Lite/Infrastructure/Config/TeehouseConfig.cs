namespace Teehouse.Lite.Infrastructure.Config;

// The TOML schema. Property names map to snake_case keys; ConfigSchema lists the same keys for the
// unknown-key check, and teehouse.toml.example documents each one (a test keeps the three in step).

public sealed class TeehouseConfig
{
    public ServerConfig Server { get; set; } = new();
    public DatabaseConfig Database { get; set; } = new();
    public LogConfig Log { get; set; } = new();
    public VmmConfig Vmm { get; set; } = new();
    public Dictionary<string, TierConfig> Tiers { get; set; } = new(StringComparer.Ordinal);
    public List<KmsConfig> Kms { get; set; } = [];
    public AuditConfig Audit { get; set; } = new();
    public MetricsConfig Metrics { get; set; } = new();
    public ToolsConfig Tools { get; set; } = new();

    /// <summary>Where this configuration was read from; null when the built-in defaults are in use.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? SourcePath { get; set; }
}

public sealed class ServerConfig
{
    public string Listen { get; set; } = "127.0.0.1:8080";
    public string? PublicUrl { get; set; }
    public long MaxBodyBytes { get; set; } = 1024 * 1024;
    /// <summary>PEM certificate (chain) and its PEM private key; both set: HTTPS. Empty: plain HTTP.</summary>
    public string? TlsCert { get; set; }
    public string? TlsKey { get; set; }
}

public sealed class DatabaseConfig
{
    public string Path { get; set; } = "./data/teehouse.db";
    public int BusyTimeoutMs { get; set; } = 5000;
}

public sealed class LogConfig
{
    public string Level { get; set; } = "information";
    public string File { get; set; } = "./data/logs/teehouse-.log";
    public int RetainedFiles { get; set; } = 14;
}

public sealed class VmmConfig
{
    public int RequestTimeoutMs { get; set; } = 10_000;
    public int PingIntervalS { get; set; } = 30;
    public int PingConcurrency { get; set; } = 8;
}

public sealed class MetricsConfig
{
    public bool Enabled { get; set; } = true;

    /// <summary>Empty: /metrics is served on the main listener to admins. HOST:PORT: only there, without a token.</summary>
    public string Listen { get; set; } = "";
}

public sealed class TierConfig
{
    public int? MaxInstances { get; set; }
    public int? MaxVcpu { get; set; }
    public int? MaxMemory { get; set; }
    public int? MaxDisk { get; set; }
}

public sealed class KmsConfig
{
    public string Id { get; set; } = "";
    public string? Slug { get; set; }
    public string Url { get; set; } = "";
    public string Version { get; set; } = "";
    public long? ChainId { get; set; }
    public string? KmsContractAddress { get; set; }
    public string? GatewayAppId { get; set; }

    /// <summary>
    /// The KMS's k256 signing key (33-byte compressed, hex), against which every env-encryption key it hands out is
    /// checked. Unset: pinned on first use from the KMS's own GetMeta (kept in the kms_pins table).
    /// </summary>
    public string? K256Pubkey { get; set; }
}

public sealed class ToolsConfig
{
    /// <summary>
    /// Where the host's dstack and qemu tools (dstack-mr, qemu-img, qemu-system-x86_64) are looked for, PATH style;
    /// empty means the server's own PATH (under systemd that is short, so a tool in /opt needs its directory here).
    /// </summary>
    public string SearchPath { get; set; } = "";

    /// <summary>How long one run of such a tool may take before it is killed and the request answered 504.</summary>
    public int TimeoutMs { get; set; } = 30_000;
}

public sealed class AuditConfig
{
    /// <summary>Audit records older than this many days are deleted (daily); 0 keeps them forever.</summary>
    public int RetentionDays { get; set; } = 90;
}
