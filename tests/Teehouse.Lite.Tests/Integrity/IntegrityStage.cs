using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Integrity;

/// <summary>An HTTP answer read once: its status and body, with the detail (if any) for failure messages.</summary>
public sealed record Answer(HttpStatusCode Status, string Body)
{
    public static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        using (response) return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public JsonElement Json
    {
        get
        {
            try { return JsonDocument.Parse(Body).RootElement.Clone(); }
            catch (JsonException) { throw new Xunit.Sdk.XunitException($"{(int)Status}: body is not JSON: {Body}"); }
        }
    }

    /// <summary>The string detail of an error answer ("" when there is none).</summary>
    public string Detail =>
        Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String
            ? d.GetString()! : "";

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>
/// The stage of the integrity tests: the common simulated teepod, plus helpers to make users, provision and commit, and
/// to slow the simulated vmm so concurrent requests really overlap. VMs are always counted at the simulator.
/// <para>
/// How the vmm is slowed: the simulator has no CreateVm-only delay, so the tests use its <see cref="FaultMode.Slow"/>
/// fault (<see cref="SimulatorHost.SetFault"/>): every dstack-vmm pRPC call (CreateVm, GetInfo, UpdateVm, StopVm, …; not
/// the KMS, gateway or /_sim surfaces) waits for the delay before it is served. It is switched on only after everything
/// is provisioned (provision asks the vmm for the env key) and off before the assertions.
/// </para>
/// </summary>
public abstract class IntegrityStage : SimulatedTeepodTest, IAsyncDisposable
{
    protected const string Compose = "services:\n  web:\n    image: nginx:1.27\n";
    protected const string Env = "{\"env\":[{\"key\":\"SECRET\",\"value\":\"s3cr3t\"}]}";

    /// <summary>The delay every vmm call gets while the tests race requests.</summary>
    protected static readonly TimeSpan VmmDelay = TimeSpan.FromMilliseconds(300);

    private readonly List<HttpClient> _clients = [];

    /// <summary>A roomy PRO tier, so only the limits a test sets on purpose refuse anything.</summary>
    protected override void Configure(TeehouseConfig config) => config.Tiers["PRO"] = new() { MaxInstances = 200, MaxVcpu = 400 };

    /// <summary>A non-admin user with credits on <paramref name="tier"/>, whose client sends X-API-Key as the SDK does.</summary>
    protected async Task<HttpClient> UserAsync(string name, decimal credits = 50m, string tier = "PRO")
    {
        var client = _app.Client(await _app.CreateTokenAsync(name), apiKeyHeader: true);
        await new UserStore(_app.Db).SetCreditsAsync(name, credits);
        await new UserStore(_app.Db).SetTierAsync(name, tier);
        lock (_clients) _clients.Add(client);
        return client;
    }

    protected async Task<HttpClient> AdminAsync()
    {
        var client = await _app.AdminClientAsync();
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>A provision body; <paramref name="composeExtra"/> and <paramref name="bodyExtra"/> are appended JSON members (", \"k\": v").</summary>
    protected static string ProvisionBody(string name, string composeExtra = "", string bodyExtra = "", string compose = Compose) => $$"""
        {"name": "{{name}}", "instance_type": "tdx.small",
         "compose_file": {"docker_compose_file": "{{JsonEncodedText.Encode(compose)}}", "name": "{{name}}", "kms_enabled": true,
                          "allowed_envs": ["SECRET"]{{composeExtra}}}{{bodyExtra}}}
        """;

    protected static async Task<Answer> SendProvisionAsync(HttpClient client, string body) =>
        await Answer.ReadAsync(await client.PostAsync("/api/v1/cvms/provision", Json.Body(body), Ct));

    protected static async Task<JsonElement> ProvisionAsync(HttpClient client, string name, string composeExtra = "", string bodyExtra = "")
    {
        var answer = await SendProvisionAsync(client, ProvisionBody(name, composeExtra, bodyExtra));
        Assert.True(answer.Status == HttpStatusCode.OK, $"provision of {name}: {answer}");
        return answer.Json;
    }

    /// <summary>The SDK's commit body for a provision: app id, compose hash and the env encrypted to the provision's key.</summary>
    protected static string CommitBody(JsonElement provision)
    {
        var pubkey = Convert.FromHexString(provision.GetProperty("app_env_encrypt_pubkey").GetString()!);
        var encrypted = Convert.ToHexStringLower(SimulatorState.EncryptEnv(pubkey, Env));
        return $$"""
            {"app_id": "{{provision.GetProperty("app_id").GetString()}}", "compose_hash": "{{provision.GetProperty("compose_hash").GetString()}}",
             "encrypted_env": "{{encrypted}}"}
            """;
    }

    protected static async Task<Answer> CommitAsync(HttpClient client, JsonElement provision) =>
        await Answer.ReadAsync(await client.PostAsync("/api/v1/cvms", Json.Body(CommitBody(provision)), Ct));

    protected static async Task<Answer> CommitBodyAsync(HttpClient client, string body) =>
        await Answer.ReadAsync(await client.PostAsync("/api/v1/cvms", Json.Body(body), Ct));

    /// <summary>Deploys through provision + commit and returns the commit's VM schema.</summary>
    protected static async Task<JsonElement> DeployAsync(HttpClient client, string name, string composeExtra = "")
    {
        var answer = await CommitAsync(client, await ProvisionAsync(client, name, composeExtra));
        Assert.True(answer.Status == HttpStatusCode.OK, $"commit of {name}: {answer}");
        return answer.Json;
    }

    protected static async Task<Answer> InstanceAsync(HttpClient client, string appId, string body = "{}", bool prepareOnly = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/apps/{appId}/instances") { Content = Json.Body(body) };
        if (prepareOnly) request.Headers.Add("X-Prepare-Only", "true");
        return await Answer.ReadAsync(await client.SendAsync(request, Ct));
    }

    /// <summary>The value of one field of a 465 answer's detail.details list.</summary>
    protected static JsonElement PreparedField(Answer prepared, string field)
    {
        Assert.True((int)prepared.Status == 465, $"expected 465 (prepared): {prepared}");
        return prepared.Json.GetProperty("detail").GetProperty("details").EnumerateArray()
            .Single(d => d.GetProperty("field").GetString() == field).GetProperty("value").Clone();
    }

    /// <summary>Every vmm pRPC call waits <paramref name="delay"/> (default <see cref="VmmDelay"/>) before it is served.</summary>
    protected void SlowVmm(TimeSpan? delay = null) => _sim.SetFault(FaultMode.Slow, delay ?? VmmDelay);

    protected void NormalVmm() => _sim.SetFault(FaultMode.None);

    /// <summary>The VMs the simulated dstack-vmm holds (not removed), from its own state.</summary>
    protected IReadOnlyList<VmSnapshot> SimVms(Func<VmSnapshot, bool>? where = null) =>
        _sim.State.ListVms().Where(v => !v.Removing).Where(where ?? (_ => true)).ToList();

    protected IReadOnlyList<VmSnapshot> SimVmsOfApp(string appId) => SimVms(v => v.AppId == appId);

    protected static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Starts every operation, each on its own task, then releases them together so they hit the server at once.</summary>
    protected static async Task<T[]> AllAtOnceAsync<T>(IEnumerable<Func<Task<T>>> operations)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = operations.Select(op => Task.Run(async () => { await gate.Task; return await op(); })).ToList();
        await Task.Delay(50, Ct); // let every task reach the gate
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    /// <summary>The caller's live CVMs (not gone or being removed) as GET /api/v1/cvms/paginated lists them.</summary>
    protected static async Task<List<JsonElement>> LiveCvmsAsync(HttpClient client)
    {
        var page = await Answer.ReadAsync(await client.GetAsync("/api/v1/cvms/paginated?page=1&page_size=1000", Ct));
        Assert.True(page.Status == HttpStatusCode.OK, $"paginated: {page}");
        return page.Json.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("status").GetString() is not ("gone" or "removing"))
            .Select(i => i.Clone()).ToList();
    }

    // Re-implements IAsyncDisposable (the base's DisposeAsync is not virtual): the clients go before the app and simulator.
    public new async ValueTask DisposeAsync()
    {
        NormalVmm();
        lock (_clients) foreach (var c in _clients) c.Dispose();
        await base.DisposeAsync();
    }
}
