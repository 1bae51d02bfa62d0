using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>Endpoint validation, and dstack-vmm over a unix socket.</summary>
public sealed class DstackEndpointTests
{
    [Theory]
    [InlineData("http://10.0.0.5:9080")]
    [InlineData("https://vmm.example.com")]
    [InlineData("http://vmm.example.com:8000/prefix/")]
    [InlineData("http://[::1]:9080")]
    [InlineData("  http://127.0.0.1:9080  ")]
    [InlineData("unix:/run/dstack/vmm.sock")]
    [InlineData("unix:/home/dstack/dstack-vmm/vmm.sock")]
    public void Valid_endpoints(string endpoint)
    {
        Assert.True(DstackClientFactory.TryValidateEndpoint(endpoint, out var error), error);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("10.0.0.5:9080", "http(s) URL")]
    [InlineData("localhost:9080", "http(s) URL")]
    [InlineData("ftp://10.0.0.5", "http(s) URL")]
    [InlineData("/run/dstack/vmm.sock", "http(s) URL")]
    [InlineData("http://", "http(s) URL")]
    [InlineData("http://user:secret@10.0.0.5:9080", "credentials")]
    [InlineData("http://10.0.0.5:9080/?json", "query")]
    [InlineData("http://10.0.0.5:9080/#x", "fragment")]
    [InlineData("http://10.0.0.5:9080/a b", "spaces")]
    [InlineData("unix:", "absolute path")]
    [InlineData("unix:vmm.sock", "absolute path")]
    [InlineData("unix:./vmm.sock", "absolute path")]
    [InlineData("unix://run/vmm.sock", "absolute path")]
    [InlineData("unix:/run/dstack/", "directory")]
    public void Invalid_endpoints_say_why(string endpoint, string reason)
    {
        Assert.False(DstackClientFactory.TryValidateEndpoint(endpoint, out var error));
        Assert.Contains(reason, error);
        Assert.DoesNotContain("secret", error);

        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(1));
        var e = Assert.Throws<ArgumentException>(() => factory.Vmm(endpoint));
        Assert.Contains(reason, e.Message);
        Assert.Throws<ArgumentException>(() => factory.Kms(endpoint));
        Assert.Throws<ArgumentException>(() => factory.Gateway(endpoint));
    }

    [Fact]
    public void A_unix_socket_path_must_fit_in_sun_path()
    {
        Assert.True(DstackClientFactory.TryValidateEndpoint("unix:/" + new string('a', 106), out _));
        Assert.False(DstackClientFactory.TryValidateEndpoint("unix:/" + new string('a', 107), out var error));
        Assert.Contains("107 bytes", error);
    }

    [Fact]
    public void A_token_with_control_characters_is_refused_without_echoing_it()
    {
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(1));
        var e = Assert.Throws<ArgumentException>(() => factory.Vmm("http://h:1", "abc\r\nX-Evil: 1"));
        Assert.DoesNotContain("abc", e.Message);
    }

    [Fact]
    public void The_factory_refuses_a_non_positive_timeout_and_use_after_dispose()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DstackClientFactory(TimeSpan.Zero));
        var factory = new DstackClientFactory(TimeSpan.FromSeconds(1));
        factory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => factory.Vmm("http://h:1"));
        factory.Dispose();
    }

    [Fact(Timeout = 30_000)]
    public async Task A_vmm_on_a_unix_socket_is_reached_through_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = await SimulatorProcess.StartAsync(vms: 7);
        using var dir = new TempDir();
        var socket = dir.File("vmm.sock");
        await using var relay = new UnixSocketRelay(socket, sim.Port);
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));

        var vmm = factory.Vmm("unix:" + socket);
        Assert.Equal("unix:" + socket, vmm.Endpoint);
        Assert.Equal("0.5.11", (await vmm.VersionAsync(ct)).Version); // the newest release, the simulator's default

        var ids = new List<string>();
        await foreach (var vm in vmm.ListAllVmsAsync(pageSize: 3, ct: ct))
        {
            ids.Add(vm.Id);
        }

        Assert.Equal(7, ids.Distinct(StringComparer.Ordinal).Count());
        await using (var logs = await vmm.OpenLogsAsync(ids[0], follow: false, lines: 5, ct: ct))
        {
            using var reader = new StreamReader(logs);
            Assert.NotEmpty(await reader.ReadToEndAsync(ct));
        }

        Assert.True(relay.Connections >= 1);

        // A second client on the same path shares the pool.
        Assert.Equal(7, (await factory.Vmm("unix:" + socket).StatusAsync(new VmmStatusRequest(), ct)).Total);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_unix_socket_is_unreachable()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var socket = dir.File("absent.sock");
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm("unix:" + socket).VersionAsync(ct));
        Assert.Equal(DstackFailure.Unreachable, e.Failure);
        Assert.Equal(502, ErrorHandling.StatusFor(e));
        Assert.Equal($"teepod unix:{socket} is unreachable: no socket at {socket}", e.FullDetail);

        // Something at the path that nobody listens on: refused.
        File.WriteAllText(socket, "");
        var notASocket = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm("unix:" + socket).VersionAsync(ct));
        Assert.Equal(DstackFailure.Unreachable, notASocket.Failure);
        Assert.StartsWith($"teepod unix:{socket} is unreachable: ", notASocket.FullDetail);
    }
}
