using System.Text;

namespace Teehouse.Lite.Simulator.Faults;

/// <summary>
/// Injects the configured <see cref="FaultMode"/> in front of the dstack-vmm surfaces only
/// (<c>/prpc</c>, and <c>/logs</c> except for hangs), so the <c>/_sim</c> control API stays usable.
/// </summary>
internal static class FaultMiddleware
{
    private static readonly byte[] GarbageBody = Encoding.UTF8.GetBytes("<html>oops");
    private static readonly byte[] Error500Body = Encoding.UTF8.GetBytes("Internal Server Error");

    /// <summary>Returns true when the fault already produced the response (or dropped the request).</summary>
    public static async Task<bool> ApplyAsync(HttpContext context, FaultState faults, bool isPrpc, CancellationToken stopping)
    {
        while (true)
        {
            var (mode, delay, changed) = faults.Current;
            switch (mode)
            {
                case FaultMode.Hang when isPrpc:
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping))
                    {
                        try
                        {
                            await changed.WaitAsync(linked.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            context.Abort();
                            return true;
                        }
                    }

                    // The fault changed: re-evaluate, the request may now go through.
                    continue;
                case FaultMode.Slow:
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping))
                    {
                        try
                        {
                            await Task.Delay(delay, linked.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            context.Abort();
                            return true;
                        }
                    }

                    return false;
                case FaultMode.Garbage:
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "text/html";
                    await context.Response.Body.WriteAsync(GarbageBody, context.RequestAborted);
                    return true;
                case FaultMode.Error500:
                    context.Response.StatusCode = 500;
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.Body.WriteAsync(Error500Body, context.RequestAborted);
                    return true;
                default:
                    return false;
            }
        }
    }
}
