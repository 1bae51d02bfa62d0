using System.Net;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// GET /teepods/{id}/cvms over several Status pages, read ahead of the writing: every VM once, in the vmm's order,
/// and a host that breaks after the first page still cuts the answer rather than ending it short.
/// </summary>
public sealed class HostedListingTests : IAsyncLifetime
{
    private const int Vms = 1200; // three pages of 500

    private SimulatorHost _sim = null!;
    private TestApp _app = null!;
    private HttpClient _admin = null!;
    private long _teepodId;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = 0, PrepopulateVms = Vms });
        _app = await TestApp.StartAsync(c => c.Vmm.PingIntervalS = 3600);
        _admin = await _app.AdminClientAsync();
        var registered = await _admin.PostAsync("/api/v1/teepods",
            Json.Body($$"""{"name": "big", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        _teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    [Fact]
    public async Task Every_vm_comes_once_in_the_vmms_order()
    {
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(30));
        var expected = new List<string>();
        await foreach (var vm in factory.Vmm(_sim.BaseUrl.ToString()).ListAllVmsAsync(500, brief: true, Ct)) expected.Add(vm.Id);

        var list = await Json.ReadAsync(await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", Ct));
        Assert.Equal(expected, list.EnumerateArray().Select(e => e.GetProperty("hosted").GetProperty("id").GetString()!));
        Assert.Equal(Vms, expected.Count);
    }

    [Fact]
    public async Task A_host_that_breaks_after_the_first_page_cuts_the_answer()
    {
        _sim.State.FailAfter("Status", successfulCalls: 1);
        using var response = await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the first page was in: the 200 is out
        var error = await Record.ExceptionAsync(async () => JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)));
        Assert.True(error is HttpRequestException or IOException, $"expected a cut connection, got {error?.GetType().Name ?? "a whole answer"}");
    }

    [Fact]
    public async Task A_host_that_fails_at_once_is_a_clean_502()
    {
        _sim.State.FailAfter("Status", successfulCalls: 0);
        await Json.AssertDetailAsync(await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", Ct), HttpStatusCode.BadGateway);
    }
}
