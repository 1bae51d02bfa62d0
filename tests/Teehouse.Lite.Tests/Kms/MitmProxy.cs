using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Teehouse.Lite.Tests.Kms;

/// <summary>
/// The attacker on the path: an HTTP proxy in front of a simulator (its vmm at <c>/</c>, its KMS at <c>/kms</c>) that
/// passes everything through, except that <see cref="Rewrite"/> may change any JSON answer on its way back.
/// </summary>
public sealed class MitmProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private MitmProxy(WebApplication app, Uri target)
    {
        _app = app;
        Target = target;
    }

    public Uri Target { get; }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The simulator's KMS as seen through the proxy.</summary>
    public string KmsUrl => new Uri(BaseUrl, "kms").ToString();

    /// <summary>(request path, request JSON or null, answer) → true when it changed the answer. Null: a plain pass-through.</summary>
    public Func<string, JsonObject?, JsonObject, bool>? Rewrite { get; set; }

    /// <summary>
    /// From now on answers at <paramref name="path"/> (the KMS's <c>/kms/prpc/GetAppEnvEncryptPubKey</c> or the vmm's
    /// <c>/prpc/GetAppEnvEncryptPubKey</c>) carry <paramref name="fakeKey"/>: with the real signatures, or signed by
    /// <paramref name="resignWith"/>; <paramref name="legacyOnly"/> also drops timestamp and signature_v1.
    /// </summary>
    public void SwapEnvKey(string path, string fakeKey, TestK256Signer? resignWith = null, bool legacyOnly = false) => Rewrite = (p, request, body) =>
    {
        if (p != path) return false;
        body["public_key"] = fakeKey;
        if (resignWith is not null)
        {
            var appId = request!["app_id"]!.GetValue<string>();
            var (signature, signatureV1) = resignWith.SignEnvKey(appId, (ulong)(body["timestamp"]?.GetValue<long>() ?? 0), fakeKey);
            body["signature"] = signature;
            if (body.ContainsKey("signature_v1")) body["signature_v1"] = signatureV1;
        }
        if (legacyOnly) StripV1(body);
        return true;
    };

    public static void StripV1(JsonObject body)
    {
        body.Remove("timestamp");
        body.Remove("signature_v1");
    }

    /// <summary>Every JSON answer as the real server sent it, by request path.</summary>
    public ConcurrentQueue<(string Path, JsonObject Body)> Original { get; } = new();

    public static async Task<MitmProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new MitmProxy(app, target);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        proxy.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Target, path.TrimStart('/') + context.Request.QueryString));
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body.ToArray());
            if (context.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        if (context.Request.Headers.Authorization.Count > 0)
            request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());

        using var response = await _http.SendAsync(request, context.RequestAborted);
        var bytes = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (response.IsSuccessStatusCode && TryParse(bytes) is { } json)
        {
            Original.Enqueue((path, (JsonObject)json.DeepClone()));
            if (Rewrite?.Invoke(path, TryParse(body.ToArray()), json) == true) bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        }
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } contentType) context.Response.ContentType = contentType.ToString();
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static JsonObject? TryParse(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}

/// <summary>A TCP port that accepts connections and never answers: a KMS or vmm that hangs.</summary>
public sealed class HangingServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<TcpClient> _held = [];
    private readonly CancellationTokenSource _stop = new();

    public HangingServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/kms";

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested) _held.Add(await _listener.AcceptTcpClientAsync(_stop.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var client in _held) client.Dispose();
        _stop.Dispose();
    }
}
