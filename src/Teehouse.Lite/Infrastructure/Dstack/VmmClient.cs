using System.Globalization;
using System.Runtime.CompilerServices;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// Typed client for one dstack-vmm (a teepod): the <c>Vmm</c> pRPC service plus <c>GET /logs</c>.
/// Get one from <see cref="DstackClientFactory.Vmm"/>; it is cheap and holds no connection of its own.
/// </summary>
public sealed partial class VmmClient
{
    private static readonly DstackJsonContext Json = DstackJsonContext.Default;
    private readonly PrpcTransport _transport;
    private readonly StatusFlights? _flights;

    internal VmmClient(string endpoint, PrpcTransport transport, VmmFeatures? features = null, StatusFlights? flights = null)
    {
        Endpoint = endpoint;
        _transport = transport;
        _flights = flights;
        Features = features ?? VmmFeatures.Newest;
    }

    /// <summary>What this vmm's release can do, as last recorded; <see cref="VmmFeatures.Newest"/> when not known.</summary>
    public VmmFeatures Features { get; }

    /// <summary>The same vmm, known to run <paramref name="version"/> (as its teepod's last probe recorded it).</summary>
    public VmmClient ForVersion(string? version) => new(Endpoint, _transport, VmmFeatures.Of(version), _flights);

    /// <summary>The endpoint as given: <c>http(s)://host:port[/prefix]</c> or <c>unix:/path/vmm.sock</c>.</summary>
    public string Endpoint { get; }

    public Task<VmmVersion> VersionAsync(CancellationToken ct = default) =>
        _transport.CallAsync("Version", EmptyMessage.Instance, Json.EmptyMessage, Json.VmmVersion, ct);

    public Task<VmmMeta> GetMetaAsync(CancellationToken ct = default) =>
        _transport.CallAsync("GetMeta", EmptyMessage.Instance, Json.EmptyMessage, Json.VmmMeta, ct);

    /// <summary>The <c>Status</c> RPC ("list VMs"), with its filters and paging as given.</summary>
    public Task<VmmStatusResponse> StatusAsync(VmmStatusRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _transport.CallAsync("Status", request, Json.VmmStatusRequest, Json.VmmStatusResponse, ct);
    }

    /// <summary>
    /// Every VM on the host, page by page (oldest first). Stops on an empty or short page, once <c>total</c> VMs were
    /// seen, or when the vmm evidently ignores paging: an older one answers everything at once (more than a page) or
    /// repeats the same page. A VM is yielded at most once even if the list shifts between pages; a VM removed
    /// meanwhile can shift another one past a page boundary, so a concurrent change may be missed until the next listing.
    /// </summary>
    public async IAsyncEnumerable<VmInfo> ListAllVmsAsync(
        int pageSize = 500,
        bool brief = false,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            var response = await StatusPageAsync(brief, page, pageSize, ct).ConfigureAwait(false);
            var fresh = 0;
            foreach (var vm in response.Vms)
            {
                if (seen.Add(vm.Id))
                {
                    fresh++;
                    yield return vm;
                }
            }

            var count = response.Vms.Count;
            if (count < pageSize                                     // empty or short: the last page
                || count > pageSize                                  // paging ignored: that was everything
                || fresh == 0                                        // the same page again: page ignored
                || (response.Total > 0 && seen.Count >= response.Total)) // total reached (0 = not reported)
            {
                yield break;
            }
        }
    }

    /// <summary>One page of the plain listing, shared with identical calls already in flight (<see cref="StatusFlights"/>).</summary>
    private Task<VmmStatusResponse> StatusPageAsync(bool brief, int page, int pageSize, CancellationToken ct)
    {
        var request = new VmmStatusRequest { Brief = brief, Page = page, PageSize = pageSize };
        if (_flights is null) return StatusAsync(request, ct);
        // The shared call must not end with the caller that started it: it runs under the request timeout alone.
        return _flights.JoinAsync(_transport.StatusKey(brief, page, pageSize), () => StatusAsync(request, CancellationToken.None), ct);
    }

    /// <summary>One VM, or null when the vmm does not know the id.</summary>
    public async Task<VmInfo?> GetInfoAsync(string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var response = await _transport.CallAsync("GetInfo", new IdMessage { Id = id }, Json.IdMessage, Json.GetInfoResponse, ct)
            .ConfigureAwait(false);
        return response.Found ? response.Info : null;
    }

    public async Task<List<ImageInfo>> ListImagesAsync(CancellationToken ct = default)
    {
        var response = await _transport.CallAsync("ListImages", EmptyMessage.Instance, Json.EmptyMessage, Json.ImageListResponse, ct)
            .ConfigureAwait(false);
        return [.. response.Images];
    }

    public Task<VmmGpuList> ListGpusAsync(CancellationToken ct = default) =>
        _transport.CallAsync("ListGpus", EmptyMessage.Instance, Json.EmptyMessage, Json.VmmGpuList, ct);

    /// <summary>Creates (and, unless <see cref="VmConfiguration.Stopped"/>, starts) a VM; returns its id.</summary>
    public async Task<string> CreateVmAsync(VmConfiguration config, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var response = await _transport.CallAsync("CreateVm", config, Json.VmConfiguration, Json.IdMessage, ct).ConfigureAwait(false);
        return response.Id.Length > 0
            ? response.Id
            : throw new DstackException(
                DstackFailure.BadResponse, $"{_transport.Peer.Label}: CreateVm succeeded but returned no VM id",
                $"{_transport.Peer.PublicLabel} answered CreateVm without a VM id", "CreateVm", 200);
    }

    public Task StartVmAsync(string id, CancellationToken ct = default) => CallWithIdAsync("StartVm", id, ct);

    /// <summary>Hard stop: the vmm kills the VM's QEMU process.</summary>
    public Task StopVmAsync(string id, CancellationToken ct = default) => CallWithIdAsync("StopVm", id, ct);

    /// <summary>Graceful: asks the guest agent to power off; the status goes through <c>stopping</c> to <c>stopped</c>.</summary>
    public Task ShutdownVmAsync(string id, CancellationToken ct = default) => CallWithIdAsync("ShutdownVm", id, ct);

    /// <summary>Starts an asynchronous removal: the VM shows as <c>removing</c>, then disappears.</summary>
    public Task RemoveVmAsync(string id, CancellationToken ct = default) => CallWithIdAsync("RemoveVm", id, ct);

    /// <summary>UpdateVm (0.5.6+); returns the new app id when the compose file changed, "" otherwise (not the VM id).</summary>
    public async Task<string> UpdateVmAsync(UpdateVmRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await _transport.CallAsync("UpdateVm", request, Json.UpdateVmRequest, Json.IdMessage, ct).ConfigureAwait(false);
        return response.Id;
    }

    /// <summary>sha256 (lowercase hex) of the exact compose_file text, after the vmm validated it.</summary>
    public async Task<string> GetComposeHashAsync(VmConfiguration config, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var response = await _transport.CallAsync("GetComposeHash", config, Json.VmConfiguration, Json.ComposeHashMessage, ct)
            .ConfigureAwait(false);
        return Hex.Normalize(response.Hash);
    }

    /// <summary>The KMS's env-encryption key for an app, proxied by the vmm to its configured KMS.</summary>
    public Task<EnvEncryptPublicKey> GetAppEnvEncryptPubKeyAsync(string appIdHex, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(appIdHex);
        return _transport.CallAsync(
            "GetAppEnvEncryptPubKey", new AppIdMessage { AppId = Hex.Normalize(appIdHex) }, Json.AppIdMessage, Json.EnvEncryptPublicKey, ct);
    }

    /// <summary>
    /// A VM's log as a text stream (<c>GET /logs</c>): the last <paramref name="lines"/> lines of <paramref name="channel"/>
    /// (<c>serial</c>, <c>stdout</c> or <c>stderr</c>), ANSI colours stripped, and with <paramref name="follow"/> new lines
    /// as they come (plus a <c>[vmm heartbeat]</c> line each idle minute) until the stream is disposed. The request timeout
    /// covers only the wait for the response headers. An unknown VM fails with <see cref="DstackFailure.RemoteError"/> (HTTP 404;
    /// a bad channel 400) on every release, although released ones answer those with 200 and the error as the text.
    /// </summary>
    public Task<Stream> OpenLogsAsync(string id, bool follow, int lines, string channel = "serial", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentOutOfRangeException.ThrowIfNegative(lines);
        var query = string.Create(
            CultureInfo.InvariantCulture,
            $"logs?id={Uri.EscapeDataString(id)}&follow={(follow ? "true" : "false")}&ansi=false&lines={lines}&ch={Uri.EscapeDataString(channel)}");
        return Features.LogsErrorsAsText ? OpenReleasedLogsAsync(id, query, ct) : _transport.OpenStreamAsync("Logs", query, ct);
    }

    /// <summary>
    /// A released vmm never looks the VM up for <c>/logs</c>: its tail finds no file and the answer is an empty 200, the
    /// same as a quiet log. So the VM is looked up first, and the text errors it can answer are recognised.
    /// </summary>
    private async Task<Stream> OpenReleasedLogsAsync(string id, string query, CancellationToken ct)
    {
        if (await GetInfoAsync(id, ct).ConfigureAwait(false) is null)
        {
            throw new DstackException(DstackFailure.RemoteError, $"{_transport.Peer.Label}: Logs failed: VM {id} not found (GetInfo)",
                $"{_transport.Peer.PublicLabel} refused Logs: VM not found", "Logs", 404, "VM not found");
        }
        var body = await _transport.OpenStreamAsync("Logs", query, ct).ConfigureAwait(false);
        return await LogsErrorText.CheckAsync(body, _transport.Peer, ct).ConfigureAwait(false);
    }

    private Task CallWithIdAsync(string method, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _transport.CallEmptyAsync(method, new IdMessage { Id = id }, Json.IdMessage, ct);
    }
}
