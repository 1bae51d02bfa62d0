using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Teepods;

/// <summary>SQL for the teepods table.</summary>
public sealed class TeepodStore(Db db)
{
    private const string Columns = """
        id, name, endpoint, auth_token, region_identifier, kms_endpoint, kms_url, kms_version, kms_ca_cert_pem,
        tproxy_endpoint, tproxy_url, tproxy_version, tproxy_base_domain, tproxy_port, tproxy_tappd_port, teepod_version,
        max_cvm_number, max_allocable_vcpu, max_allocable_memory_in_mb, max_disk_size_in_gb, status, enabled, listed,
        last_ping_at, last_error, created_at
        """;

    public async Task<List<TeepodRecord>> ListAsync(bool includeDisabled)
    {
        await using var c = await db.OpenAsync();
        var where = includeDisabled ? "" : " WHERE enabled = 1";
        return (await c.QueryAsync<TeepodRecord>($"SELECT {Columns} FROM teepods{where} ORDER BY id")).AsList();
    }

    public async Task<TeepodRecord?> FindAsync(long id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<TeepodRecord>($"SELECT {Columns} FROM teepods WHERE id = @id", new { id });
    }
}
