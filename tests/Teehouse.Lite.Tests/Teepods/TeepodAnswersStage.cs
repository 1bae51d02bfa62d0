using System.Text;
using Dapper;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Teepods;

/// <summary>
/// Six teepods that cover every branch of the teepod answers, with nothing left to chance: "tdx-1" is registered
/// through the API against the simulator (so the real registration path stores it), then given a fixed CA certificate
/// and fixed timestamps; the others are written as rows. Users of different tiers and balances look at them.
/// </summary>
public abstract class TeepodAnswersStage : IAsyncLifetime
{
    /// <summary>A self-signed CA with every field the parser reads: subject parts, DNS and IP SANs, an RA-TLS quote.</summary>
    public const string GoldenCaPem = """
        -----BEGIN CERTIFICATE-----
        MIICRDCCAeqgAwIBAgIUYc/OL4rN/o2m1XAHZt/VO2Bm34QwCgYIKoZIzj0EAwIw
        WzELMAkGA1UEBhMCVVMxCzAJBgNVBAgMAkNBMRYwFAYDVQQHDA1TYW4gRnJhbmNp
        c2NvMQ8wDQYDVQQKDAZEc3RhY2sxFjAUBgNVBAMMDUdvbGRlbiBLTVMgQ0EwHhcN
        MjYxMjAyMDM0MzMxWhcNMzYxMTI5MDM0MzMxWjBbMQswCQYDVQQGEwJVUzELMAkG
        A1UECAwCQ0ExFjAUBgNVBAcMDVNhbiBGcmFuY2lzY28xDzANBgNVBAoMBkRzdGFj
        azEWMBQGA1UEAwwNR29sZGVuIEtNUyBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH
        A0IABLt3s/YlKNnqXMwfV+ZziZHsLwxkIweeb4UYyqY5bjWXCVK0DIGws28fVh8K
        VBjmXrnlFPsp8qkUaWDajf0GCjCjgYswgYgwHQYDVR0OBBYEFGqVcEaZmMwpqJvu
        fvvFsB9/RBYVMB8GA1UdIwQYMBaAFGqVcEaZmMwpqJvufvvFsB9/RBYVMA8GA1Ud
        EwEB/wQFMAMBAf8wGwYDVR0RBBQwEoIKa21zLmdvbGRlbocECgAABzAYBgorBgEE
        AYPnPQEBBAoECN6tvu8AESIzMAoGCCqGSM49BAMCA0gAMEUCIQDpnafmtc0NgzZk
        sYDcr480LMKPuh43YveGLkVVIhS00gIgJfeWpgT2VhUsZK5LQ4GzFawZiM4DV+J2
        7plLVzhn6UA=
        -----END CERTIFICATE-----

        """;

    protected const string FixedTime = "2026-01-02T03:04:05Z";

    protected SimulatorHost _sim = null!;
    protected TestApp _app = null!;
    protected HttpClient _admin = null!;
    protected readonly Dictionary<string, HttpClient> _users = new(StringComparer.Ordinal);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected string SimBase => _sim.BaseUrl.ToString().TrimEnd('/');
    protected string SimKmsUrl => _sim.KmsUrl.ToString().TrimEnd('/');

    /// <summary>Whether the config names KMSs; without, the catalog is derived from the teepods.</summary>
    protected virtual bool ConfiguredKms => true;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = 0 });
        _app = await TestApp.StartAsync(c =>
        {
            c.Vmm.PingIntervalS = 3600; // tests ping explicitly
            c.Tiers["PRO"] = new() { MaxInstances = 10, MaxVcpu = 16, MaxMemory = 32768, MaxDisk = 500 };
            if (!ConfiguredKms) return;
            c.Kms.Add(new() { Id = "local-kms", Url = SimKmsUrl, Version = "0.5.5" });
            c.Kms.Add(new KmsConfig
            {
                Id = "base-kms", Slug = "base", Url = "https://kms.chain.example", Version = "0.5.6", ChainId = 8453,
                KmsContractAddress = "0x1234567890abcdef1234567890abcdef12345678",
            });
        });
        _admin = await _app.AdminClientAsync();

        var registered = await _admin.PostAsync("/api/v1/teepods", Json.Body($$"""
            {"name": "tdx-1", "endpoint": "{{SimBase}}", "kms_endpoint": "{{SimKmsUrl}}", "region_identifier": "eu-west",
             "auth_token": "s3cret-token"}
            """), Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, registered.StatusCode);
        await using (var c = await _app.Db.OpenAsync())
            await c.ExecuteAsync("""
                UPDATE teepods SET kms_ca_cert_pem = @pem, created_at = @t, last_ping_at = @t, last_seen_at = @t WHERE name = 'tdx-1'
                """, new { pem = GoldenCaPem, t = FixedTime });

        var store = new TeepodStore(_app.Db);
        const string images = """
            [{"name":"dstack-0.5.5","version":"0.5.5","is_dev":false},{"name":"dstack-dev-0.5.6-rc1","version":"v0.5.6-rc1","is_dev":true},
             {"name":"dstack-0.5","version":"0.5","is_dev":false},{"name":"nightly","version":"latest","is_dev":true}]
            """;
        await store.InsertAsync(Row("tdx-2", "http://10.0.0.2:9080", images, t => (t.AuthUsername, t.AuthPassword, t.KmsCaCertPem) = ("ops", "pw", null)));
        await store.InsertAsync(Row("tdx-3", "http://10.0.0.3:9080", images, t => (t.Listed, t.KmsCaCertPem) = (false, "not a certificate")));
        await store.InsertAsync(Row("tdx-4", "http://10.0.0.4:9080", images, t => (t.Status, t.LastErrorDetail) =
            (TeepodStatus.Offline, "teepod 'tdx-4' (http://10.0.0.4:9080) is unreachable: Connection refused")));
        await store.InsertAsync(Row("tdx-5", "http://10.0.0.5:9080", images, t => t.Enabled = false));
        await store.InsertAsync(Row("tdx-6", "unix:/run/dstack/vmm.sock", "{not json", t =>
        {
            (t.MaxCvmNumber, t.MaxAllocableVcpu, t.MaxAllocableMemoryInMb, t.KmsUrl, t.KmsVersion) = (null, null, null, null, null);
            (t.KmsCaCertPem, t.RegionIdentifier, t.TproxyUrl, t.TproxyPort) = (null, null, null, null);
        }));

        await AddUserAsync("uma", "FREE", credits: 5m);
        await AddUserAsync("pia", "PRO", credits: 50m);
        await AddUserAsync("bo", "FREE", credits: 0m);
        await AddUserAsync("gus", "PRO", credits: 0m, granted: "3.5");
        await AddUserAsync("tia", "GOLD", credits: 1m); // a tier the config does not define reads as FREE
    }

    private static TeepodRecord Row(string name, string endpoint, string imagesJson, Action<TeepodRecord> differences)
    {
        var row = new TeepodRecord
        {
            Name = name, Endpoint = endpoint, RegionIdentifier = "us-east", KmsUrl = "http://10.0.0.9:8000/kms", KmsVersion = "0.5.6",
            KmsCaCertPem = GoldenCaPem, TproxyUrl = "http://10.0.0.9:8010", TproxyVersion = "0.5.6", TproxyBaseDomain = "apps.example",
            TproxyPort = 443, TproxyTappdPort = 8090, TeepodVersion = "0.5.11", MaxCvmNumber = 100, MaxAllocableVcpu = 64,
            MaxAllocableMemoryInMb = 262144, MaxDiskSizeInGb = 2000, Status = TeepodStatus.Online, Enabled = true, Listed = true,
            VmCount = 7, UsedVcpu = 21, UsedMemoryMb = 65536, ImagesJson = imagesJson, LastPingAt = FixedTime, LastSeenAt = FixedTime,
            CreatedAt = FixedTime,
        };
        differences(row);
        return row;
    }

    private async Task AddUserAsync(string name, string tier, decimal credits, string? granted = null)
    {
        _users[name] = _app.Client(await _app.CreateTokenAsync(name), apiKeyHeader: true);
        var users = new UserStore(_app.Db);
        await users.SetCreditsAsync(name, credits);
        await users.SetTierAsync(name, tier);
        if (granted is null) return;
        await using var c = await _app.Db.OpenAsync();
        await c.ExecuteAsync("UPDATE users SET granted_balance = @granted WHERE username = @name", new { granted, name });
    }

    /// <summary>One answer as text: status, content type, body, with the simulator's port (which varies) taken out.</summary>
    protected async Task<string> AnswerAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType}\n{Normalize(body)}\n";
    }

    protected string Normalize(string text) =>
        text.Replace(KmsCatalog.IdOf(SimKmsUrl), "kms-SIMULATOR", StringComparison.Ordinal)
            .Replace(SimBase, "http://SIMULATOR", StringComparison.Ordinal);

    /// <summary>Every answer the read models serve, in one text, headed by who asked what.</summary>
    protected async Task<string> AllAnswersAsync()
    {
        var text = new StringBuilder();
        async Task Add(string who, HttpClient client, string path) =>
            text.Append("### GET ").Append(path).Append(" as ").Append(who).Append('\n').Append(await AnswerAsync(client, path)).Append('\n');

        await Add("admin", _admin, "/api/v1/teepods");
        await Add("uma", _users["uma"], "/api/v1/teepods");
        for (var id = 1; id <= 6; id++) await Add("admin", _admin, $"/api/v1/teepods/{id}");
        await Add("admin", _admin, "/api/v1/teepods/999");
        await Add("uma", _users["uma"], "/api/v1/teepods/1");
        await Add("admin", _admin, "/api/v1/teepods/available");
        foreach (var name in new[] { "uma", "pia", "bo", "gus", "tia" }) await Add(name, _users[name], "/api/v1/teepods/available");
        await Add("uma", _users["uma"], "/api/v1/kms");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _users.Values) client.Dispose();
        _admin.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
