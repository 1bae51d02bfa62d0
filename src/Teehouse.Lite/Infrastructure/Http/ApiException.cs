namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>A failure with a status and a message meant for the API caller; written as <c>{"detail": "..."}</c>.</summary>
public class ApiException(int statusCode, string detail) : Exception(detail)
{
    public int StatusCode { get; } = statusCode;

    public static ApiException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);
    public static ApiException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, detail);
    public static ApiException NotFound(string detail) => new(StatusCodes.Status404NotFound, detail);
    public static ApiException Conflict(string detail) => new(StatusCodes.Status409Conflict, detail);
    public static ApiException BadGateway(string detail) => new(StatusCodes.Status502BadGateway, detail);
    public static ApiException GatewayTimeout(string detail) => new(StatusCodes.Status504GatewayTimeout, detail);
}

/// <summary>One FastAPI-style validation problem: where (<c>["body","name"]</c>), what, and a machine-readable type.</summary>
public sealed record ValidationError(IReadOnlyList<string> Loc, string Msg, string Type);

/// <summary>Request validation failed; written as 422 with <c>{"detail": [{loc, msg, type}, …]}</c>.</summary>
public sealed class ValidationException(IReadOnlyList<ValidationError> errors)
    : ApiException(StatusCodes.Status422UnprocessableEntity, errors.Count == 0 ? "validation failed" : errors[0].Msg)
{
    public IReadOnlyList<ValidationError> Errors { get; } = errors;

    public static ValidationException For(string location, string field, string msg, string type = "value_error") =>
        new([new ValidationError([location, field], msg, type)]);
}

public sealed record ErrorResponse(string Detail);

public sealed record ValidationErrorResponse(IReadOnlyList<ValidationError> Detail);
