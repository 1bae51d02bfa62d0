using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Teehouse.Lite.Simulator.Auth;
using Teehouse.Lite.Simulator.Control;
using Teehouse.Lite.Simulator.Faults;
using Teehouse.Lite.Simulator.Gateway;
using Teehouse.Lite.Simulator.Kms;
using Teehouse.Lite.Simulator.Logs;
using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vmm;
using Teehouse.Lite.Simulator.Vms;

namespace Teehouse.Lite.Simulator;

/// <summary>
/// A dstack-vmm (plus KMS and gateway) simulator listening on 127.0.0.1. The listener can be taken
/// down and brought back on the same port while <see cref="State"/> lives on, to exercise a client's
/// handling of an unreachable host.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PrpcEndpoint _vmm;
    private readonly PrpcEndpoint _kms;
    private readonly PrpcEndpoint _gateway;
    private readonly LogsEndpoint _logs;
    private readonly ControlEndpoints _control;
    private readonly ApiAuthenticator _auth;
    private readonly ApiTokenGuard _logsGuard;
    private WebApplication? _app;
    private bool _disposed;

    private SimulatorHost(SimulatorOptions options)
    {
        State = new SimulatorState(options);
        var kms = new KmsService(State);
        _vmm = new PrpcEndpoint(State, new VmmService(State, kms), "");
        _kms = new PrpcEndpoint(State, kms, "kms/");
        _gateway = new PrpcEndpoint(State, new GatewayService(State), "gateway/");
        _logs = new LogsEndpoint(State);
        _control = new ControlEndpoints(State, () => Port);
        _auth = new ApiAuthenticator(options.AuthEnabled, options.Tokens);
        _logsGuard = new ApiTokenGuard(options.AuthEnabled, options.Tokens);
    }

    public SimulatorState State { get; }

    public int Port { get; private set; }

    /// <summary>Root of the dstack-vmm API, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>KMS base URL (no trailing slash): clients append <c>/prpc/&lt;Method&gt;</c> as dstack does.</summary>
    public Uri KmsUrl => new($"http://127.0.0.1:{Port}/kms");

    /// <summary>Gateway base URL (no trailing slash).</summary>
    public Uri GatewayUrl => new($"http://127.0.0.1:{Port}/gateway");

    /// <summary>Whether the listener is currently accepting connections.</summary>
    public bool IsUp => _app is not null;

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = new SimulatorHost(options);
        try
        {
            // Listen first: the VM ids depend on the port (see SimulatorState.SeedVmIds). Nobody knows the port of a
            // new host before StartAsync returns, so no request sees the fleet half-seeded.
            await host.ListenAsync(options.Port);
            host.State.SeedVmIds(host.Port);
            VmSeeder.Populate(host.State, options.PrepopulateVms);
            host.State.ResolveCapacity();

            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops listening: new connections are refused and in-flight requests are dropped. State is kept.</summary>
    public async Task GoDownAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await StopAppAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Listens again on the same port with the same state.</summary>
    public async Task ComeBackAsync()
    {
        await _gate.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_app is null)
            {
                await StartAppAsync(Port);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Injects a fault into <c>/prpc</c> and <c>/logs</c>; <paramref name="delay"/> applies to <see cref="FaultMode.Slow"/>.</summary>
    public void SetFault(FaultMode mode, TimeSpan? delay = null) => State.Faults.Set(mode, delay);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await StopAppAsync();
            State.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ListenAsync(int port)
    {
        await _gate.WaitAsync();
        try
        {
            await StartAppAsync(port);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAppAsync(int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var app = builder.Build();
        var stopping = app.Lifetime.ApplicationStopping;
        app.Run(context => DispatchAsync(context, stopping));
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        State.BaseUrl = BaseUrl;
        _app = app;
    }

    private async Task StopAppAsync()
    {
        if (_app is not { } app)
        {
            return;
        }

        _app = null;
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task DispatchAsync(HttpContext context, CancellationToken stopping)
    {
        var headers = context.Response.Headers;
        headers["X-App-Version"] = $"v{State.ReportedVersion} ({State.ReportedRev})";
        headers["X-Accel-Buffering"] = "no";

        // Rocket ignores empty path segments, so "/kms//prpc/GetMeta" still routes.
        var path = string.Join('/', (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries));
        var isGetOrPost = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsPost(context.Request.Method);

        if (path.StartsWith("_sim/", StringComparison.Ordinal) || path == "_sim")
        {
            await _control.HandleAsync(context, path);
            return;
        }

        if (isGetOrPost && TryMethod(path, "prpc/", out var vmmMethod))
        {
            State.BeforeCall(vmmMethod.StartsWith("Teepod.", StringComparison.Ordinal) ? vmmMethod["Teepod.".Length..] : vmmMethod);
            if (await FaultMiddleware.ApplyAsync(context, State.Faults, isPrpc: true, stopping))
            {
                return;
            }

            // Released versions have no guard on /prpc; next's [auth] covers the whole API.
            if (State.Profile.AuthGuardsWholeApi && !_auth.IsAuthorized(context.Request))
            {
                await ApiAuthenticator.RejectAsync(context);
                return;
            }

            await _vmm.HandleAsync(context, vmmMethod);
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method) && path == "logs")
        {
            if (await FaultMiddleware.ApplyAsync(context, State.Faults, isPrpc: false, stopping))
            {
                return;
            }

            if (State.Profile.AuthGuardsWholeApi ? !_auth.IsAuthorized(context.Request) : !_logsGuard.IsAuthorized(context.Request))
            {
                await (State.Profile.AuthGuardsWholeApi ? ApiAuthenticator.RejectAsync(context) : ApiTokenGuard.RejectAsync(context));
                return;
            }

            await _logs.HandleAsync(context, stopping);
            return;
        }

        if (isGetOrPost && TryMethod(path, "kms/prpc/", out var kmsMethod))
        {
            await _kms.HandleAsync(context, kmsMethod);
            return;
        }

        if (isGetOrPost && TryMethod(path, "gateway/prpc/", out var gatewayMethod))
        {
            await _gateway.HandleAsync(context, gatewayMethod);
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method) && path.Length == 0)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync("<!doctype html><title>dstack VMM</title><p>dstack-vmm simulator</p>");
            return;
        }

        await RocketCatcher.WriteAsync(context, 404);
    }

    private static bool TryMethod(string path, string prefix, out string method)
    {
        if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path.IndexOf('/', prefix.Length) < 0)
        {
            method = path[prefix.Length..];
            return true;
        }

        method = "";
        return false;
    }
}
