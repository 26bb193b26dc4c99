using System.Globalization;
using System.Text;
using Meridian.Fhir.Http;

namespace Meridian.Fhir.Search;

internal sealed record SqlSearch(string ResourceType, string Where, IReadOnlyList<(string Name, object Value)> Parameters);

/// <summary>
/// Builds the WHERE clause of a search over the index tables: each search parameter occurrence becomes one EXISTS
/// subquery (repeated parameters AND together), and the comma-separated values inside it OR together (R4 search.html#combining).
/// Every value is a bound parameter; nothing from the request is spliced into SQL.
/// </summary>
internal sealed class SqlSearchBuilder(string type, string tokenTable, string stringTable, string dateTable, string referenceTable)
{
    private readonly StringBuilder _where = new();
    private readonly List<(string, object)> _parameters = [];
    private readonly TimeProvider _time = TimeProvider.System;

    private string P(object value)
    {
        var name = "@p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return name;
    }

    public SqlSearch Build() => new(type, _where.ToString(), _parameters);

    private void Exists(string table, string param, IEnumerable<string> alternatives, bool negate = false)
    {
        _where.Append(negate ? " AND NOT EXISTS (SELECT 1 FROM " : " AND EXISTS (SELECT 1 FROM ").Append(table)
            .Append(" s WHERE s.resource_type = r.resource_type AND s.resource_id = r.id AND s.param = ").Append(P(param))
            .Append(" AND (").Append(string.Join(" OR ", alternatives.Select(a => "(" + a + ")"))).Append("))");
    }

    public void AddId(IReadOnlyList<string> ids) =>
        _where.Append(" AND r.id IN (").Append(string.Join(", ", ids.Select(i => P(i)))).Append(')');

    /// <summary>Default: case- and accent-insensitive starts-with, as a range scan on the normalized value. :exact and :contains per spec.</summary>
    public void AddString(string param, string? modifier, IReadOnlyList<string> values)
    {
        var alternatives = new List<string>();
        foreach (var value in values)
        {
            switch (modifier)
            {
                case null:
                {
                    var prefix = TextNormalizer.Normalize(value);
                    if (prefix.Length > SearchIndexer.MaxIndexed) prefix = prefix[..SearchIndexer.MaxIndexed];
                    if (prefix.Length == 0) throw FhirError.BadRequest($"Search parameter '{param}' needs a value.");
                    var upper = NextPrefix(prefix);
                    alternatives.Add(upper is null ? $"s.value >= {P(prefix)}" : $"s.value >= {P(prefix)} AND s.value < {P(upper)}");
                    break;
                }
                case "exact":
                    alternatives.Add($"s.exact = {P(value.Length > SearchIndexer.MaxIndexed ? value[..SearchIndexer.MaxIndexed] : value)}");
                    break;
                case "contains":
                    alternatives.Add($"s.value LIKE {P("%" + EscapeLike(TextNormalizer.Normalize(value)) + "%")} ESCAPE '\\'");
                    break;
                default:
                    throw FhirError.BadRequest($"Modifier ':{modifier}' is not supported on string parameter '{param}' (supported: :exact, :contains).");
            }
        }
        Exists(stringTable, param, alternatives);
    }

    /// <summary>Token: code, system|code, |code (no system), system| (any code in the system); :not negates (R4 search.html#token).</summary>
    public void AddToken(string param, string? modifier, IReadOnlyList<string> values)
    {
        if (modifier is not (null or "not"))
            throw FhirError.BadRequest($"Modifier ':{modifier}' is not supported on token parameter '{param}' (supported: :not).");
        var alternatives = new List<string>();
        foreach (var value in values)
        {
            var bar = value.IndexOf('|');
            if (bar < 0) alternatives.Add($"s.code = {P(value)}");
            else
            {
                var system = value[..bar];
                var code = value[(bar + 1)..];
                if (code.Length == 0) alternatives.Add($"s.system = {P(system)}");
                else alternatives.Add($"s.system = {P(system)} AND s.code = {P(code)}");
            }
        }
        Exists(tokenTable, param, alternatives, negate: modifier == "not");
    }

    public void AddReference(string param, string? modifier, IReadOnlyList<string> values, string[] targets)
    {
        if (modifier is not null && !targets.Contains(modifier, StringComparer.Ordinal))
            throw FhirError.BadRequest($"Modifier ':{modifier}' is not supported on reference parameter '{param}' (supported: a target type: {string.Join(", ", targets)}).");
        var alternatives = new List<string>();
        foreach (var value in values)
        {
            var reference = ReferenceValue.Parse(value) ?? throw FhirError.BadRequest($"'{value}' is not a reference for parameter '{param}'.");
            var targetType = reference.Type ?? modifier;
            alternatives.Add(targetType is null
                ? $"s.target_id = {P(reference.Id)}"
                : $"s.target_id = {P(reference.Id)} AND s.target_type = {P(targetType)}");
        }
        Exists(referenceTable, param, alternatives);
    }

    /// <summary>
    /// Date with prefix (R4 search.html#prefix). The parameter value and the indexed value are both ranges:
    /// eq = the value's range lies within the parameter's; gt/lt = the value extends above/below it; sa/eb = wholly after/before;
    /// ge/le = gt/lt or eq; ne = not eq; ap = overlaps the parameter's range widened by 10% of its distance from now.
    /// </summary>
    public void AddDate(string param, string? modifier, IReadOnlyList<string> values)
    {
        if (modifier is not null) throw FhirError.BadRequest($"Modifiers are not supported on date parameter '{param}'.");
        var alternatives = new List<string>();
        foreach (var raw in values)
        {
            // A date starts with a digit, so leading letters can only be a prefix (R4 search.html#prefix): check it before the date,
            // so that "garbage" is reported whole rather than as an unknown date "rbage".
            var hasPrefix = raw.Length > 2 && char.IsAsciiLetterLower(raw[0]) && char.IsAsciiLetterLower(raw[1]);
            var prefix = hasPrefix ? raw[..2] : "eq";
            if (hasPrefix && prefix is not ("eq" or "ne" or "gt" or "lt" or "ge" or "le" or "sa" or "eb" or "ap"))
                throw FhirError.BadRequest($"'{raw}' is not a FHIR date or dateTime with an optional prefix (eq, ne, gt, lt, ge, le, sa, eb, ap) (parameter '{param}').");
            var text = hasPrefix ? raw[2..] : raw;
            var range = FhirDateRange.Parse(text) ?? throw FhirError.BadRequest($"'{raw}' is not a FHIR date or dateTime (parameter '{param}').");
            string lo = P(range.Low), hi = P(range.High);
            var eq = $"s.low >= {lo} AND s.high <= {hi}";
            alternatives.Add(prefix switch
            {
                "eq" => eq,
                "ne" => $"NOT (s.low >= {lo} AND s.high <= {hi})",
                "gt" => $"s.high > {hi}",
                "lt" => $"s.low < {lo}",
                "ge" => $"s.high > {hi} OR ({eq})",
                "le" => $"s.low < {lo} OR ({eq})",
                "sa" => $"s.low > {hi}",
                "eb" => $"s.high < {lo}",
                "ap" => Approximately(range),
                _ => throw FhirError.BadRequest($"Prefix '{prefix}' is not a FHIR search prefix (eq, ne, gt, lt, ge, le, sa, eb, ap)."),
            });
        }
        Exists(dateTable, param, alternatives);
    }

    private string Approximately(FhirDateRange range)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var distance = Math.Abs(now - range.Low);
        var margin = Math.Max(distance / 10, TimeSpan.TicksPerDay);
        var low = Math.Max(DateTime.MinValue.Ticks, range.Low - margin);
        var high = Math.Min(DateTime.MaxValue.Ticks, range.High + margin);
        return $"s.low <= {P(high)} AND s.high >= {P(low)}";
    }

    /// <summary>The smallest string greater than every string starting with <paramref name="prefix"/> in code-point order.</summary>
    internal static string? NextPrefix(string prefix)
    {
        var runes = prefix.EnumerateRunes().ToList();
        for (var i = runes.Count - 1; i >= 0; i--)
        {
            var next = runes[i].Value + 1;
            if (next is >= 0xD800 and <= 0xDFFF) next = 0xE000;
            if (next <= 0x10FFFF)
            {
                var sb = new StringBuilder();
                foreach (var r in runes.Take(i)) sb.Append(r.ToString());
                sb.Append(new Rune(next).ToString());
                return sb.ToString();
            }
        }
        return null;
    }

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
