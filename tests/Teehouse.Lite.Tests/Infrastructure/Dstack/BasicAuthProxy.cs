using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Teehouse.Lite.Hosting;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>What reached the proxy: the path, and whether it carried the expected Basic credentials.</summary>
public sealed record ProxiedRequest(string Method, string Path, bool Authorized);

/// <summary>
/// The reverse proxy a released dstack-vmm is meant to sit behind, as nginx does it with <c>auth_basic</c>: a request
/// without the right <c>Authorization: Basic</c> gets 401 with a <c>WWW-Authenticate</c> challenge and an HTML page;
/// every other one is forwarded to the upstream as it came, with the answer streamed back as it arrives (so a followed
/// <c>/logs</c> flows through). The credential is not passed upstream, as with <c>proxy_set_header Authorization ""</c>.
/// </summary>
public sealed class BasicAuthProxy : IAsyncDisposable
{
    private const string Realm = "dstack-vmm behind nginx";
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private volatile string _expected;

    private BasicAuthProxy(WebApplication app, Uri upstream, string username, string password)
    {
        _app = app;
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = upstream,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _expected = Encode(username, password);
    }

    /// <summary>Every request that arrived, in order.</summary>
    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    /// <summary>e.g. <c>http://127.0.0.1:41234</c>, no trailing slash: what a teepod is registered with.</summary>
    public string BaseUrl { get; private set; } = "";

    public static async Task<BasicAuthProxy> StartAsync(Uri upstream, string username, string password)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new BasicAuthProxy(app, upstream, username, password);
        app.Run(proxy.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        proxy.BaseUrl = app.BoundAddress().ToString().TrimEnd('/');
        return proxy;
    }

    /// <summary>The operator changes the htpasswd entry: from now on only these credentials pass.</summary>
    public void SetCredentials(string username, string password) => _expected = Encode(username, password);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private static string Encode(string username, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var authorized = string.Equals(request.Headers.Authorization.ToString(), _expected, StringComparison.Ordinal);
        Requests.Enqueue(new ProxiedRequest(request.Method, request.Path.Value ?? "", authorized));
        if (!authorized)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync(
                "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.Value!.TrimStart('/') + request.QueryString.Value);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            forward.Content = new StreamContent(request.Body);
            if (request.ContentType is { } type) forward.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        }

        using var answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name)) context.Response.Headers[name] = values.ToArray();
        }

        await using var body = await answer.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
}
