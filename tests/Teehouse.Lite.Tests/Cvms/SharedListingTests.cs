using System.Net;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Simulator;

namespace Teehouse.Lite.Tests.Cvms;

/// <summary>
/// Clients listing the same host at the same moment share its Status pages (StatusFlights): the vmm sees one call per
/// page, every client gets the whole list, a client that hangs up does not break the others, and a call that has
/// finished is never handed to a client that arrives after it.
/// </summary>
public sealed class SharedListingTests : IAsyncLifetime
{
    private const int Vms = 700; // two pages of 500
    private const int Clients = 6;

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
            Json.Body($$"""{"name": "shared", "endpoint": "{{_sim.BaseUrl.ToString().TrimEnd('/')}}"}"""), Ct);
        _teepodId = (await Json.ReadAsync(registered)).GetProperty("id").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private int StatusCalls => _sim.State.CallCount("Status");

    [Fact]
    public async Task Concurrent_listings_of_one_host_share_each_status_page()
    {
        var alone = await ListAsync();
        var before = StatusCalls;
        _sim.State.Faults.Set(FaultMode.Slow, TimeSpan.FromMilliseconds(400)); // long enough for all to arrive in flight

        var answers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => ListAsync()));

        Assert.All(answers, a => Assert.Equal(Ids(alone), Ids(a)));
        Assert.Equal(Vms, Ids(alone).Count);
        var calls = StatusCalls - before;
        // Two pages; every client alone would have made 2 × Clients calls. Allow a straggler per page.
        Assert.True(calls <= 4, $"{Clients} concurrent listings made {calls} Status calls");
    }

    [Fact]
    public async Task A_client_that_hangs_up_does_not_fail_the_others()
    {
        _sim.State.Faults.Set(FaultMode.Slow, TimeSpan.FromMilliseconds(600));
        using var leaving = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
        var first = Assert.ThrowsAnyAsync<Exception>(() => _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", leaving.Token));
        await Task.Delay(50, Ct);

        var second = await ListAsync();

        await first;
        Assert.Equal(Vms, Ids(second).Count);
    }

    [Fact]
    public async Task A_listing_after_a_finished_call_asks_the_host_again()
    {
        await ListAsync();
        var before = StatusCalls;

        await ListAsync();

        Assert.Equal(2, StatusCalls - before);
    }

    [Fact]
    public async Task A_shared_failure_is_a_clean_error_for_every_client()
    {
        _sim.State.Faults.Set(FaultMode.Slow, TimeSpan.FromMilliseconds(300));
        _sim.State.FailAfter("Status", successfulCalls: 0);

        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", Ct)));

        foreach (var response in responses) await Json.AssertDetailAsync(response, HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task Different_credentials_never_share_a_call()
    {
        using var clients = new DstackClientFactory(TimeSpan.FromSeconds(30));
        _sim.State.Faults.Set(FaultMode.Slow, TimeSpan.FromMilliseconds(300));
        var endpoint = _sim.BaseUrl.ToString();
        var before = clients.StatusCallsStarted;

        await Task.WhenAll(
            CountAsync(clients.Vmm(endpoint, "token-a")),
            CountAsync(clients.Vmm(endpoint, "token-b")),
            CountAsync(clients.Vmm(endpoint, "token-a")));

        // Two pages each for token-a (shared by two listings) and token-b.
        Assert.Equal(4, clients.StatusCallsStarted - before);
    }

    private static async Task<int> CountAsync(VmmClient vmm)
    {
        var n = 0;
        await foreach (var _ in vmm.ListAllVmsAsync(500, brief: false, Ct)) n++;
        return n;
    }

    private async Task<System.Text.Json.JsonElement> ListAsync() =>
        await Json.ReadAsync(await _admin.GetAsync($"/api/v1/teepods/{_teepodId}/cvms", Ct));

    private static List<string> Ids(System.Text.Json.JsonElement list) =>
        list.EnumerateArray().Select(e => e.GetProperty("hosted").GetProperty("id").GetString()!).ToList();
}
