using System.Net;
using System.Net.Sockets;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>A labelled client's errors: the full detail names the address, the public one only the label.</summary>
public sealed class DstackPublicDetailTests
{
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unreachable_labelled_vmm_is_named_by_its_label_only_in_public()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ClosedPort();
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(
            () => factory.Vmm($"http://127.0.0.1:{port}", "tok-SECRET", "teepod 'tdx-1'").StopVmAsync("vm-1", ct));
        Assert.Equal($"teepod 'tdx-1' (http://127.0.0.1:{port}) is unreachable: Connection refused", e.FullDetail);
        Assert.Equal("teepod 'tdx-1' is unreachable", e.PublicDetail);
        Assert.Equal(e.PublicDetail, e.Message);
        Assert.Equal(502, ErrorHandling.StatusFor(e));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_unix_socket_keeps_its_path_out_of_the_public_detail()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var socket = dir.File("absent.sock");
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm("unix:" + socket, label: "teepod 'local'").VersionAsync(ct));
        Assert.Contains(socket, e.FullDetail);
        Assert.Equal("teepod 'local' is unreachable", e.PublicDetail);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_remote_error_keeps_its_words_but_not_its_addresses_paths_or_secrets()
    {
        var ct = TestContext.Current.CancellationToken;
        const string remote = "Failed to stop VM: open /var/lib/dstack/vm/6f1c/qmp.sock: refused by http://10.0.0.5:8000/x (token=abcDEF123456)";
        await using var server = new CannedHttpServer(_ => new CannedResponse(400, $$"""{"error": "{{remote}}"}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(() => factory.Vmm(server.BaseUrl, label: "teepod 'tdx-1'").StopVmAsync("vm-1", ct));
        Assert.Equal(DstackFailure.RemoteError, e.Failure);
        Assert.Equal($"teepod 'tdx-1' ({server.BaseUrl}): StopVm failed: {remote}", e.FullDetail);
        Assert.Equal("teepod 'tdx-1' refused StopVm: Failed to stop VM: open [path]: refused by [url] (token=[secret])", e.PublicDetail);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hanging_kms_times_out_under_its_label()
    {
        var ct = TestContext.Current.CancellationToken;
        // Listening but never accepting: the connection is made and the answer never comes.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
            using var factory = new DstackClientFactory(TimeSpan.FromMilliseconds(200));
            var e = await Assert.ThrowsAsync<DstackException>(() => factory.Kms(url, "KMS 'kms-1'").GetMetaAsync(ct));
            Assert.Equal(504, ErrorHandling.StatusFor(e));
            Assert.Equal($"KMS 'kms-1' ({url}) did not answer GetMeta within 200 ms", e.FullDetail);
            Assert.Equal("KMS 'kms-1' timed out on GetMeta", e.PublicDetail);
        }
        finally
        {
            silent.Stop();
        }
    }
}
