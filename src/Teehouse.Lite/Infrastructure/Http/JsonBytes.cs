namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>
/// An answer whose JSON was serialised once and kept: written as is, with the status and content type that
/// <c>TypedResults.Json</c> gives the same body.
/// </summary>
public sealed class JsonBytes(byte[] body, int statusCode = StatusCodes.Status200OK) : IResult
{
    public const string ContentType = "application/json; charset=utf-8";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }
}
