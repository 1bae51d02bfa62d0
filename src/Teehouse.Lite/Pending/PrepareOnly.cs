namespace Teehouse.Lite.Pending;

/// <summary>The one reading of <c>X-Prepare-Only</c>: every route that prepares agrees on what "yes" is.</summary>
public static class PrepareOnly
{
    public const string Header = "X-Prepare-Only";

    public static bool IsRequested(HttpRequest request)
    {
        var value = request.Headers[Header].ToString().Trim();
        return value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" || value.Equals("yes", StringComparison.OrdinalIgnoreCase);
    }
}
