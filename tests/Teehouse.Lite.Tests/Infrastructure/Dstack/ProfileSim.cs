using System.Net;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Simulator;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>
/// An in-process simulator playing one dstack release, spoken to with a plain HttpClient exactly as the wire has it
/// (no production client in between), for the version-profile tests.
/// </summary>
internal sealed class ProfileSim : IAsyncDisposable
{
    private ProfileSim(SimulatorHost host)
    {
        Host = host;
        Http = new HttpClient { BaseAddress = host.BaseUrl };
    }

    public SimulatorHost Host { get; }

    public HttpClient Http { get; }

    public static async Task<ProfileSim> StartAsync(string vmmVersion, Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { Port = 0, VmmVersion = vmmVersion, RemoveDelay = TimeSpan.FromMilliseconds(300) };
        configure?.Invoke(options);
        return new ProfileSim(await SimulatorHost.StartAsync(options));
    }

    /// <summary>POST /prpc/&lt;method&gt;?json (or another mount's prefix) with a JSON body.</summary>
    public async Task<Reply> CallAsync(string method, string body = "{}", string mount = "prpc")
    {
        using var response = await Http.PostAsync($"{mount}/{method}?json", new StringContent(body, Encoding.UTF8, "application/json"));
        return await Reply.ReadAsync(response);
    }

    public async Task<Reply> GetAsync(string pathAndQuery, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await Http.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    /// <summary>Plants a VM in the given status, as if loaded from the run directory.</summary>
    public string AddVm(string status, string name = "app") =>
        Host.State.AddVm(new VmSpec { Name = name, ComposeFile = Compose(name), Status = status });

    public static string Compose(string name) =>
        $$"""{"manifest_version":2,"name":"{{name}}","runner":"docker-compose","docker_compose_file":"services: {}","gateway_enabled":false,"kms_enabled":false}""";

    /// <summary>A CreateVm body for a small VM on the default image.</summary>
    public static string CreateBody(string name, string extra = "", string? compose = null) =>
        $$"""{"name":"{{name}}","image":"dstack-0.5.5","compose_file":"{{JsonEncodedText.Encode(compose ?? Compose(name))}}","vcpu":1,"memory":1024,"disk_size":20{{extra}}}""";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>An HTTP answer: status, content type and body text (parsed as JSON on demand).</summary>
internal sealed record Reply(HttpStatusCode Status, string? ContentType, string Body)
{
    public static async Task<Reply> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>ra-rpc's error body <c>{"error": "..."}</c>.</summary>
    public string Error => Json.GetProperty("error").GetString()!;

    public bool Has(string property) => Json.TryGetProperty(property, out _);
}
