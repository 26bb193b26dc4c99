using System.Globalization;
using System.Text.Json;
using Meridian.SharedKernel;

namespace Meridian.Fhir.Mapping;

/// <summary>Writing helpers shared by the resource renderers: FHIR forbids empty values, so every helper skips nulls.</summary>
internal static class FhirJson
{
    public static readonly JsonWriterOptions Options = new() { Indented = false };

    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream(2048);
        using (var w = new Utf8JsonWriter(buffer, Options)) body(w);
        return buffer.ToArray();
    }

    public static void Str(this Utf8JsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) w.WriteString(name, value);
    }

    public static void Date(this Utf8JsonWriter w, string name, DateOnly? value)
    {
        if (value is { } d) w.WriteString(name, d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    public static string Instant(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static void Meta(this Utf8JsonWriter w, int version, DateTimeOffset lastUpdated, string? profile)
    {
        w.WriteStartObject("meta");
        w.WriteString("versionId", version.ToString(CultureInfo.InvariantCulture));
        w.WriteString("lastUpdated", Instant(lastUpdated));
        if (profile is not null)
        {
            w.WriteStartArray("profile");
            w.WriteStringValue(profile);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    public static void CodingValue(this Utf8JsonWriter w, Coding c)
    {
        w.WriteStartObject();
        w.Str("system", c.System);
        w.Str("code", c.Code);
        w.Str("display", c.Display);
        w.WriteEndObject();
    }

    public static void Concept(this Utf8JsonWriter w, string name, IEnumerable<Coding> codings, string? text = null)
    {
        var list = codings.ToList();
        if (list.Count == 0 && string.IsNullOrEmpty(text)) return;
        w.WriteStartObject(name);
        if (list.Count > 0)
        {
            w.WriteStartArray("coding");
            foreach (var c in list) w.CodingValue(c);
            w.WriteEndArray();
        }
        w.Str("text", text);
        w.WriteEndObject();
    }

    public static void Period(this Utf8JsonWriter w, string name, DateOnly? start, DateOnly? end)
    {
        if (start is null && end is null) return;
        w.WriteStartObject(name);
        w.Date("start", start);
        w.Date("end", end);
        w.WriteEndObject();
    }

    // Reading helpers.
    public static string? S(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static IEnumerable<JsonElement> A(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    public static JsonElement? O(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    public static Coding? FirstCoding(JsonElement? concept, string? system = null) =>
        concept is { } c ? A(c, "coding").Where(x => system is null || S(x, "system") == system)
            .Select(x => S(x, "code") is { } code ? new Coding(S(x, "system") ?? "", code, S(x, "display")) : null).FirstOrDefault(x => x is not null) : null;

    public static DateOnly? ParseDate(string? text, string path, Meridian.SharedKernel.Errors.Validator v)
    {
        if (text is null) return null;
        if (DateOnly.TryParseExact(text.Length >= 10 ? text[..10] : text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        v.Add(path, "must be a full date (yyyy-MM-dd); Meridian does not store partial dates here.");
        return null;
    }
}
