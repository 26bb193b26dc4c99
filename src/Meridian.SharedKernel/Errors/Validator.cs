namespace Meridian.SharedKernel.Errors;

/// <summary>Collects field errors so that a request reports every problem at once, then throws one ValidationFailedException.</summary>
public sealed class Validator
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validator Add(string field, string error)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(error);
        return this;
    }

    public Validator Required(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, "is required.");
        return this;
    }

    public Validator MaxLength(string field, string? value, int max)
    {
        if (value is not null && value.Length > max) Add(field, $"must be at most {max} characters.");
        return this;
    }

    public Validator When(bool condition, string field, string error)
    {
        if (condition) Add(field, error);
        return this;
    }

    public void ThrowIfInvalid()
    {
        if (!IsValid)
            throw new ValidationFailedException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
    }
}
