namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>The response-schema version a client asks for in <c>X-Phala-Version</c>; unknown values fall back to the newest, as the SDK does.</summary>
public static class ApiVersion
{
    public const string Header = "X-Phala-Version";
    public const string V20251028 = "2025-10-28";
    public const string V20260121 = "2026-01-21";

    public static string Of(HttpRequest request) =>
        request.Headers[Header].ToString().Trim() == V20251028 ? V20251028 : V20260121;
}
