using System.Globalization;
using Dapper;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// A fixed database for the list answers: three teepods (one whose image list contradicts dstack's naming, one with a
/// damaged list), CVMs of alice, bob and nobody spread over apps shared between owners, with ties in created_at,
/// gone ones, every status, listed or not, operations in flight, missing sizes and names that only a Unicode-aware
/// case-insensitive search matches. Inserted directly (no simulator), so every byte of the answers is known.
/// Teepods are disabled, so the pinger never touches them.
/// </summary>
public static class ListSeed
{
    public const int Cvms = 60;

    private static readonly string[] Statuses = ["running", "stopped", "exited", "gone", "removing", "running", "starting"];
    private static readonly string?[] Images = ["dstack-0.5.5", "dstack-dev-0.5.5", "custom-img", null, "dstack-dev-0.4.2"];

    public static string AppId(int app) => app.ToString("x2", CultureInfo.InvariantCulture).PadLeft(40, app % 2 == 0 ? 'a' : 'c');

    public static string HashedId(int i) => i.ToString("x16", CultureInfo.InvariantCulture);

    public static string Name(int i) => (i % 11) switch
    {
        0 => $"Web-{i:d2}",
        3 => $"fıx-{i:d2}",   // dotless i: OrdinalIgnoreCase matches it with "I", SQLite's ASCII folding would not
        5 => $"STRASSE-{i:d2}",
        7 => $"Ärger-{i:d2}",
        _ => $"vm-{i:d2}",
    };

    /// <summary>Seeds the rows; <paramref name="owners"/> are the user ids CVMs cycle through (null = nobody's).</summary>
    public static async Task SeedAsync(Db db, long alice, long bob)
    {
        await using var c = await db.OpenAsync();
        await using var tx = c.BeginTransaction();
        await c.ExecuteAsync("""
            INSERT INTO teepods (id, name, endpoint, auth_token, region_identifier, status, enabled, teepod_version,
                tproxy_base_domain, tproxy_port, tproxy_tappd_port, kms_url, images_json, created_at)
            VALUES
            (901, 'tdx-a', 'http://127.0.0.1:9', 'secret-a', 'us-west', 'online', 0, '0.5.5', 'a.gw.example', 443, 8090,
                'https://kms.a', '[{"name":"dstack-0.5.5","version":"0.5.5","is_dev":false},{"name":"dstack-dev-0.5.5","version":"0.5.5","is_dev":true},{"name":"custom-img","version":"1.0","is_dev":true}]',
                '2025-01-01T00:00:00Z'),
            (902, 'tdx-b', 'http://127.0.0.1:10', NULL, NULL, 'offline', 0, '0.4.2', NULL, NULL, NULL, NULL,
                '[{"name":"dstack-dev-0.4.2","version":"0.4.2","is_dev":false},{"name":"dstack-0.5.5","version":"0.5.5","is_dev":true}]',
                '2025-01-01T00:00:00Z'),
            (903, 'tdx-c', 'http://127.0.0.1:11', NULL, 'eu', 'online', 0, NULL, 'c.gw.example', NULL, NULL, NULL,
                'not json', '2025-01-01T00:00:00Z')
            """, transaction: tx);

        long?[] owners = [alice, bob, null, alice, bob, alice];
        var apps = new Dictionary<string, long?>(StringComparer.Ordinal);
        for (var i = 0; i < Cvms; i++)
        {
            var owner = owners[i % owners.Length];
            var appId = AppId(i % 23);
            apps.TryAdd(appId, owner);
            var sized = i % 8 != 0;
            var progress = i % 9 == 0;
            await c.ExecuteAsync("""
                INSERT INTO cvms (teepod_id, vm_uuid, app_id, instance_id, name, status, uptime, image, image_version, vcpu,
                    memory, disk_size, compose_hash, kms_enabled, user_id, listed, in_progress, created_at, updated_at,
                    last_synced_at, gone_at, hashed_id, progress_operation, progress_target, progress_started_at,
                    progress_correlation_id)
                VALUES (@teepod, @uuid, @appId, @instanceId, @name, @status, @uptime, @image, @imageVersion, @vcpu,
                    @memory, @disk, @composeHash, @kms, @owner, @listed, @inProgress, @createdAt, @updatedAt,
                    @updatedAt, @goneAt, @hashedId, @operation, @target, @startedAt, @correlation)
                """, new
            {
                teepod = 901 + i % 3,
                uuid = $"{i:x8}-0000-4000-8000-{i:x12}",
                appId,
                instanceId = i % 3 == 0 ? null : new string((char)('a' + i % 6), 40),
                name = Name(i),
                status = Statuses[i % Statuses.Length],
                uptime = i % 2 == 0 ? $"{i}m 3s" : null,
                image = Images[i % Images.Length],
                imageVersion = i % 4 == 3 ? null : "0.5.5",
                vcpu = sized ? 1 + i % 4 : (int?)null,
                memory = sized ? 1024 * (1 + i % 3) : (int?)null,
                disk = sized ? 20 + i : (int?)null,
                composeHash = i % 5 == 4 ? null : new string((char)('0' + i % 10), 64),
                kms = (i % 3) switch { 0 => true, 1 => false, _ => (bool?)null },
                owner,
                listed = i % 4 == 0,
                inProgress = progress,
                // Many ties, not in id order: the order must fall back to the id.
                createdAt = $"2025-06-01T10:{(i * 7) % 20:d2}:00.000Z",
                updatedAt = $"2025-06-02T11:{i:d2}:00.000Z",
                goneAt = Statuses[i % Statuses.Length] == "gone" ? "2025-06-03T00:00:00.000Z" : null,
                hashedId = HashedId(i),
                operation = progress ? "restart" : null,
                target = progress ? "running" : null,
                startedAt = progress ? "2025-06-02T12:00:00.000Z" : null,
                correlation = progress ? $"corr-{i}" : null,
            }, tx);
        }
        foreach (var (appId, owner) in apps)
        {
            await c.ExecuteAsync("INSERT INTO apps (app_id, user_id, created_at, env_pubkey) VALUES (@appId, @owner, '2025-06-01T00:00:00Z', @key)",
                new { appId, owner, key = appId[^1] % 2 == 0 ? "ab" + appId[..10] : null }, tx);
        }
        await tx.CommitAsync();
    }
}
