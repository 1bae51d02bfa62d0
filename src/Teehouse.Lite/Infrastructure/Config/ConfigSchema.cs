namespace Teehouse.Lite.Infrastructure.Config;

/// <summary>
/// Every key the TOML file may hold. Tomlyn silently ignores keys it cannot map, so a typo such as
/// <c>listne = ...</c> would otherwise be lost without a word; we check the document against this list first.
/// <c>*</c> stands for a user-chosen table name (a tier), <c>[]</c> for an element of an array of tables.
/// </summary>
public static class ConfigSchema
{
    public static readonly IReadOnlySet<string> Tables = new HashSet<string>(StringComparer.Ordinal)
    {
        "server", "database", "log", "vmm", "tiers", "tiers.*", "kms[]", "audit", "metrics", "tools",
    };

    public static readonly IReadOnlySet<string> Keys = new HashSet<string>(StringComparer.Ordinal)
    {
        "server.listen", "server.public_url", "server.max_body_bytes",
        "server.tls_cert", "server.tls_key",
        "database.path", "database.busy_timeout_ms",
        "log.level", "log.file", "log.retained_files",
        "vmm.request_timeout_ms", "vmm.ping_interval_s", "vmm.ping_concurrency",
        "tiers.*.max_instances", "tiers.*.max_vcpu", "tiers.*.max_memory", "tiers.*.max_disk",
        "kms[].id", "kms[].slug", "kms[].url", "kms[].version", "kms[].chain_id",
        "kms[].kms_contract_address", "kms[].gateway_app_id", "kms[].k256_pubkey",
        "audit.retention_days",
        "metrics.enabled", "metrics.listen",
        "tools.search_path", "tools.timeout_ms",
    };

    /// <summary>Replaces the free-form name of a tier with <c>*</c>: <c>tiers.PRO.max_vcpu</c> → <c>tiers.*.max_vcpu</c>.</summary>
    public static string Normalize(IReadOnlyList<string> path)
    {
        var parts = path.ToArray();
        if (parts.Length >= 2 && parts[0] == "tiers") parts[1] = "*";
        return string.Join('.', parts);
    }
}
