using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>Listing a big host page by page.</summary>
public sealed class VmmPagingTests : IAsyncLifetime
{
    private const int VmCount = 1234;
    private readonly DstackClientFactory _factory = new(TimeSpan.FromSeconds(20));
    private SimulatorProcess _sim = null!;

    public async ValueTask InitializeAsync() => _sim = await SimulatorProcess.StartAsync(vms: VmCount);

    public async ValueTask DisposeAsync()
    {
        _factory.Dispose();
        if (_sim is not null)
        {
            await _sim.DisposeAsync();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task ListAllVms_pages_through_every_vm_exactly_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var vmm = _factory.Vmm(_sim.BaseUrl);
        var callsBefore = (await _sim.StateAsync()).GetProperty("total_calls").GetInt32();

        var vms = new List<VmInfo>();
        await foreach (var vm in vmm.ListAllVmsAsync(pageSize: 100, ct: ct))
        {
            vms.Add(vm);
        }

        var callsAfter = (await _sim.StateAsync()).GetProperty("total_calls").GetInt32();
        Assert.Equal(13, callsAfter - callsBefore); // 12 full pages and a short one of 34
        Assert.Equal(VmCount, vms.Count);
        Assert.Equal(VmCount, vms.Select(v => v.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(vms, vm => Assert.NotNull(vm.Configuration));

        var expected = (await _sim.VmsAsync()).EnumerateArray().Select(v => v.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(VmCount, expected.Count);
        Assert.True(expected.SetEquals(vms.Select(v => v.Id)));
        Assert.All(vms, vm => Assert.Contains(vm.Status, new[] { "running", "stopped", "exited", "stopping" }));
    }

    [Fact(Timeout = 60_000)]
    public async Task ListAllVms_brief_with_the_default_page_size()
    {
        var ct = TestContext.Current.CancellationToken;
        var vmm = _factory.Vmm(_sim.BaseUrl);
        var callsBefore = (await _sim.StateAsync()).GetProperty("total_calls").GetInt32();

        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var vm in vmm.ListAllVmsAsync(brief: true, ct: ct))
        {
            Assert.Null(vm.Configuration);
            Assert.True(ids.Add(vm.Id));
        }

        Assert.Equal(VmCount, ids.Count);
        Assert.Equal(3, (await _sim.StateAsync()).GetProperty("total_calls").GetInt32() - callsBefore);
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_total_counts_the_filter_before_paging()
    {
        var ct = TestContext.Current.CancellationToken;
        var vmm = _factory.Vmm(_sim.BaseUrl);
        var page = await vmm.StatusAsync(new VmmStatusRequest { Page = 13, PageSize = 100, Brief = true }, ct);
        Assert.Equal(VmCount, page.Total);
        Assert.Equal(34, page.Vms.Count);
        var past = await vmm.StatusAsync(new VmmStatusRequest { Page = 14, PageSize = 100, Brief = true }, ct);
        Assert.Empty(past.Vms);
        Assert.Equal(VmCount, past.Total);
    }
}
