namespace Teehouse.Lite.Simulator.Auth;

/// <summary>
/// The <c>Authorized</c> request guard of kvinwang/rocket-apitoken (branch dev, 7b5c1e86), which every released
/// dstack-vmm puts on <c>GET /logs</c> only: with <c>[auth] enabled</c>, the first <c>Authorization</c> header must
/// equal <c>"Bearer " + token</c> exactly (a HashSet lookup: case, spacing and extra text all matter). A missing
/// or wrong header fails the guard with 401, which Rocket turns into its default catcher page.
/// </summary>
internal sealed class ApiTokenGuard(bool enabled, IEnumerable<string> tokens)
{
    private readonly HashSet<string> _accepted = tokens.Select(t => $"Bearer {t}").ToHashSet(StringComparer.Ordinal);

    public bool IsAuthorized(HttpRequest request)
    {
        if (!enabled)
        {
            return true;
        }

        // Rocket's headers().get_one: the first value of the header.
        var values = request.Headers.Authorization;
        return values.Count > 0 && values[0] is { } first && _accepted.Contains(first);
    }

    public static Task RejectAsync(HttpContext context) => RocketCatcher.WriteAsync(context, 401);
}
