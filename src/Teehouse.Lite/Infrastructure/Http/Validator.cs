namespace Teehouse.Lite.Infrastructure.Http;

/// <summary>Collects every problem of a request body before answering, so a caller fixes them all at once.</summary>
public sealed class Validator(string location = "body")
{
    private readonly List<ValidationError> _errors = [];

    public Validator Require(bool condition, string field, string msg, string type = "value_error")
    {
        if (!condition) _errors.Add(new ValidationError([location, field], msg, type));
        return this;
    }

    public bool IsValid => _errors.Count == 0;

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0) throw new ValidationException(_errors.ToArray());
    }
}
