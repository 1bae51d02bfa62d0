using System.Globalization;

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

    /// <summary>
    /// An integer query parameter as FastAPI reads one: absent or blank is <paramref name="fallback"/>; not a number, or
    /// outside <paramref name="min"/>..<paramref name="max"/>, is a problem named after the field (then the fallback).
    /// </summary>
    public int Int(string field, string? text, int min, int max, int fallback)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        var ok = int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value);
        Require(ok, field, "Input should be a valid integer", "int_parsing");
        if (!ok) return fallback;
        Require(value >= min, field, $"Input should be greater than or equal to {min}", "greater_than_equal");
        Require(value <= max, field, $"Input should be less than or equal to {max}", "less_than_equal");
        return value;
    }

    public bool IsValid => _errors.Count == 0;

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0) throw new ValidationException(_errors.ToArray());
    }
}
