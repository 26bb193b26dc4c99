using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Meridian.Fhir.Search;

internal sealed record TokenRow(string Param, string System, string Code);
internal sealed record StringRow(string Param, string Value, string Exact);
internal sealed record DateRow(string Param, long Low, long High);
internal sealed record ReferenceRow(string Param, string TargetType, string TargetId);

internal sealed class IndexRows
{
    public HashSet<TokenRow> Tokens { get; } = [];
    public HashSet<StringRow> Strings { get; } = [];
    public HashSet<DateRow> Dates { get; } = [];
    public HashSet<ReferenceRow> References { get; } = [];
}

/// <summary>Turns a resource into the rows of the search index, following the declared parameters of its type.</summary>
internal static class SearchIndexer
{
    /// <summary>The index columns are 256 characters; longer values are indexed by their first 256 characters.</summary>
    public const int MaxIndexed = 256;

    public static IndexRows Extract(string type, JsonElement resource)
    {
        var rows = new IndexRows();
        if (!SearchParameters.ByType.TryGetValue(type, out var parameters)) return rows;
        foreach (var p in parameters.Values)
        {
            foreach (var node in p.Select(resource))
            {
                switch (p.Type)
                {
                    case SearchParamType.String:
                        foreach (var s in Strings(node))
                            if (!string.IsNullOrWhiteSpace(s))
                                rows.Strings.Add(new(p.Name, Cut(TextNormalizer.Normalize(s)), Cut(s)));
                        break;
                    case SearchParamType.Token:
                        foreach (var (system, code) in Tokens(node))
                            if (!string.IsNullOrEmpty(code))
                                rows.Tokens.Add(new(p.Name, Cut(system ?? (node.ValueKind == JsonValueKind.String ? p.ImplicitSystem : null) ?? ""), Cut(code)));
                        break;
                    case SearchParamType.Date:
                        if (DateRange(node) is { } range) rows.Dates.Add(new(p.Name, range.Low, range.High));
                        break;
                    case SearchParamType.Reference:
                        if (Json.Str(node, "reference") is { } reference && ReferenceValue.Parse(reference) is { Type: { } t } r)
                            rows.References.Add(new(p.Name, t, Cut(r.Id)));
                        break;
                }
            }
        }
        return rows;
    }

    private static string Cut(string s) => s.Length <= MaxIndexed ? s : s[..MaxIndexed];

    /// <summary>The string parts of a node: a string itself, or the parts of a HumanName or Address (R4 search.html#string).</summary>
    private static IEnumerable<string> Strings(JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.String)
        {
            yield return node.GetString()!;
            yield break;
        }
        if (node.ValueKind != JsonValueKind.Object) yield break;
        foreach (var name in (string[])["text", "family", "given", "prefix", "suffix", "line", "city", "district", "state", "postalCode", "country"])
            foreach (var v in Json.Select(node, name))
                if (v.ValueKind == JsonValueKind.String) yield return v.GetString()!;
    }

    /// <summary>Tokens of code, boolean, Coding, CodeableConcept, Identifier and ContactPoint (R4 search.html#token).</summary>
    private static IEnumerable<(string? System, string? Code)> Tokens(JsonElement node)
    {
        switch (node.ValueKind)
        {
            case JsonValueKind.String:
                yield return (null, node.GetString());
                yield break;
            case JsonValueKind.True:
                yield return (null, "true");
                yield break;
            case JsonValueKind.False:
                yield return (null, "false");
                yield break;
            case JsonValueKind.Object:
                if (node.TryGetProperty("coding", out _))
                {
                    foreach (var c in Json.Select(node, "coding")) yield return (Json.Str(c, "system"), Json.Str(c, "code"));
                }
                else if (node.TryGetProperty("code", out _)) yield return (Json.Str(node, "system"), Json.Str(node, "code"));
                else if (node.TryGetProperty("value", out _))
                    // Identifier: system|value. ContactPoint: its "system" is a kind (phone, email), not a namespace.
                    yield return (IsContactPoint(node) ? null : Json.Str(node, "system"), Json.Str(node, "value"));
                yield break;
        }
    }

    private static bool IsContactPoint(JsonElement node) =>
        Json.Str(node, "system") is "phone" or "fax" or "email" or "pager" or "url" or "sms" or "other";

    private static FhirDateRange? DateRange(JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.String) return FhirDateRange.Parse(node.GetString());
        if (node.ValueKind != JsonValueKind.Object) return null;
        // Period: an open start or end extends to the beginning or end of time.
        var start = FhirDateRange.Parse(Json.Str(node, "start"));
        var end = FhirDateRange.Parse(Json.Str(node, "end"));
        if (start is null && end is null) return null;
        return new FhirDateRange(start?.Low ?? DateTime.MinValue.Ticks, end?.High ?? DateTime.MaxValue.Ticks);
    }
}

/// <summary>
/// The interval of instants a FHIR date, dateTime or instant covers, in UTC ticks, both ends inclusive:
/// "1980-03" covers 1980-03-01T00:00:00 through 1980-03-31T23:59:59.9999999 (R4 search.html#date).
/// Values without a time zone are taken as UTC, the server's zone.
/// </summary>
internal readonly record struct FhirDateRange(long Low, long High)
{
    public static FhirDateRange? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var inv = CultureInfo.InvariantCulture;
        try
        {
            switch (text.Length)
            {
                case 4 when int.TryParse(text, NumberStyles.None, inv, out var y) && y >= 1:
                {
                    var low = new DateTime(y, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                    return Span(low, y == 9999 ? DateTime.MaxValue : low.AddYears(1));
                }
                case 7 when DateTime.TryParseExact(text, "yyyy-MM", inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var m):
                    return Span(m, m.AddMonths(1));
                case 10 when DateTime.TryParseExact(text, "yyyy-MM-dd", inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d):
                    return Span(d, d.AddDays(1));
            }
            if (text.Length < 16 || text[10] != 'T') return null;
            // A dateTime is precise to its last given component: to the minute, the second, or the fraction given.
            var hasZone = text.EndsWith('Z') || (text.Length > 19 && (text[^6] == '+' || text[^6] == '-'));
            var body = hasZone ? (text.EndsWith('Z') ? text[..^1] : text[..^6]) : text;
            if (!DateTimeOffset.TryParse(text, inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)) return null;
            var start = instant.UtcDateTime;
            TimeSpan width;
            if (body.Length == 16) width = TimeSpan.FromMinutes(1);
            else if (body.Length == 19) width = TimeSpan.FromSeconds(1);
            else
            {
                var fraction = body.Length - 20;
                width = TimeSpan.FromTicks((long)Math.Pow(10, Math.Max(0, 7 - Math.Min(fraction, 7))));
            }
            return new FhirDateRange(start.Ticks, start.Ticks + width.Ticks - 1);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static FhirDateRange Span(DateTime low, DateTime nextLow) =>
        new(low.Ticks, nextLow == DateTime.MaxValue ? DateTime.MaxValue.Ticks : nextLow.Ticks - 1);
}

/// <summary>A FHIR reference value: "Patient/123", "http://base/fhir/Patient/123", "Patient/123/_history/2" or a bare id.</summary>
internal sealed record ReferenceValue(string? Type, string Id)
{
    public static ReferenceValue? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.StartsWith('#')) return null;
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var history = Array.IndexOf(parts, "_history");
        if (history >= 0) parts = parts[..history];
        if (parts.Length == 1) return new ReferenceValue(null, parts[0]);
        if (parts.Length >= 2 && parts[^2].Length > 0 && char.IsUpper(parts[^2][0])) return new ReferenceValue(parts[^2], parts[^1]);
        return null;
    }
}

/// <summary>
/// FHIR string search matching (R4 search.html#string): case-insensitive and accent-insensitive. Values and search
/// terms are normalized the same way, so the database compares plain ordinal strings.
/// </summary>
internal static class TextNormalizer
{
    public static string Normalize(string value)
    {
        var decomposed = value.Trim().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        var space = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
            if (char.IsWhiteSpace(c))
            {
                if (!space) sb.Append(' ');
                space = true;
                continue;
            }
            space = false;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }
}
