using Meridian.SharedKernel.Errors;

namespace Meridian.Patients.Ui;

/// <summary>
/// Field errors of a form, keyed by the form field (not the API field): parse errors found by the page and the
/// handler's ValidationFailedException errors mapped back onto the inputs, so every problem shows at once.
/// </summary>
public sealed class FormErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private readonly Func<string, string> _label;

    public FormErrors(Func<string, string>? label = null) => _label = label ?? (k => k);

    /// <summary>A message for the whole form (conflicts, stale versions), shown above the fields.</summary>
    public string? FormMessage { get; set; }

    public bool Any => _errors.Count > 0 || FormMessage is not null;

    public void Add(string key, string message)
    {
        if (!_errors.TryGetValue(key, out var list)) _errors[key] = list = [];
        if (!list.Contains(message)) list.Add(message);
    }

    public bool Has(string key) => _errors.ContainsKey(key);

    public IReadOnlyList<string> For(string key) => _errors.TryGetValue(key, out var list) ? list : [];

    /// <summary>"Date of birth must not be in the future." — the handler's messages start after the field name.</summary>
    public string Sentence(string key, string message) => $"{_label(key)} {message}";

    public IEnumerable<(string Key, string Text)> All =>
        _errors.SelectMany(e => e.Value.Select(m => (e.Key, Sentence(e.Key, m))));

    /// <summary>Adds the handler's errors, each under the form field <paramref name="map"/> names; parse errors already there win.</summary>
    public void AddServer(ValidationFailedException e, Func<string, string> map, ISet<string>? skip = null)
    {
        foreach (var (field, messages) in e.Errors)
        {
            var key = map(field);
            if (skip?.Contains(key) == true) continue;
            foreach (var m in messages) Add(key, m);
        }
    }
}

/// <summary>The cascading context of a form's fields: the binding prefix of input names and the errors.</summary>
public sealed record FormScope(string Prefix, FormErrors Errors)
{
    public string Name(string key) => Prefix.Length == 0 ? key : Prefix + "." + key;
    /// <summary>Element id of a field: from its key only, so an error summary in any scope can link to it.</summary>
    public string Id(string key) => "f-" + key.Replace('.', '-').Replace('[', '-').Replace("]", "", StringComparison.Ordinal);
}
