using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.Contracts;
using Meridian.Scheduling.Domain;
using NodaTime;

namespace Meridian.Scheduling.Features.Fhir;

/// <summary>
/// Ids of the computed FHIR resources. A Schedule is one provider at one location; a Slot is a stretch of a Schedule.
/// Neither is stored, so their ids carry what is needed to recompute them. The FHIR id alphabet [A-Za-z0-9\-\.] has
/// exactly 64 characters, so a Guid packs into 22 of them (base64 with '-' and '.' for '+' and '/'):
/// Schedule id = provider(22) + location(22); Slot id = schedule id(44) + UTC start yyyyMMddHHmm(12) + minutes (1–3),
/// at most 59 characters (R4 datatypes.html#id: at most 64).
/// </summary>
internal static class FhirIds
{
    public static string Pack(Guid g) => Convert.ToBase64String(g.ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '.');

    public static Guid? Unpack(string s)
    {
        if (s.Length != 22) return null;
        try
        {
            var g = new Guid(Convert.FromBase64String(s.Replace('-', '+').Replace('.', '/') + "=="));
            // Only the canonical spelling: two ids must never name the same schedule.
            return Pack(g) == s ? g : null;
        }
        catch (FormatException) { return null; }
    }

    public static string Schedule(Guid provider, Guid location) => Pack(provider) + Pack(location);

    public static (Guid Provider, Guid Location)? ParseSchedule(string id) =>
        id.Length == 44 && Unpack(id[..22]) is { } p && Unpack(id[22..]) is { } l ? (p, l) : null;

    public static string Slot(Guid provider, Guid location, DateTime startUtc, int minutes) =>
        Schedule(provider, location) + startUtc.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture) + minutes.ToString(CultureInfo.InvariantCulture);

    public static (Guid Provider, Guid Location, DateTime StartUtc, int Minutes)? ParseSlot(string id)
    {
        if (id.Length is < 57 or > 59 || ParseSchedule(id[..44]) is not { } schedule) return null;
        if (!DateTime.TryParseExact(id[44..56], "yyyyMMddHHmm", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start))
            return null;
        var digits = id[56..];
        if (digits[0] == '0' || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)) return null;
        return (schedule.Provider, schedule.Location, DateTime.SpecifyKind(start, DateTimeKind.Utc), minutes);
    }
}

/// <summary>Codes and reference forms shared by the Schedule, Slot and Appointment mappings.</summary>
internal static class FhirScheduling
{
    /// <summary>Meridian's appointment types as a code system (code = the type's id). Appointment.serviceType and Schedule.serviceType carry them.</summary>
    public const string AppointmentTypeSystem = "https://meridian.health/fhir/CodeSystem/appointment-type";

    public static string Instant(DateTime utc, DateTimeZone zone) =>
        Zones.ToLocal(utc, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static string PractitionerRef(Provider p) => p.FhirPractitionerId is { Length: > 0 } f ? $"Practitioner/{f}" : $"Practitioner/{p.Id}";
    public static string LocationRef(Location l) => l.FhirLocationId is { Length: > 0 } f ? $"Location/{f}" : $"Location/{l.Id}";

    /// <summary>A reference to a provider or location Meridian knows: the FHIR directory id when published there, else Meridian's own.</summary>
    public static void Actor(Utf8JsonWriter w, string? reference, string display)
    {
        w.WriteStartObject();
        // Without a published FHIR Practitioner/Location the reference would not resolve: display only (R4 Reference: display alone is valid).
        if (reference is not null) w.WriteString("reference", reference);
        w.WriteString("display", display);
        w.WriteEndObject();
    }

    public static void TypeConcept(Utf8JsonWriter w, AppointmentType t)
    {
        w.WriteStartObject();
        w.WriteStartArray("coding");
        w.WriteStartObject();
        w.WriteString("system", AppointmentTypeSystem);
        w.WriteString("code", t.Id.ToString());
        w.WriteString("display", t.Name);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("text", t.Name);
        w.WriteEndObject();
    }

    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream(1024);
        using (var w = new Utf8JsonWriter(buffer)) body(w);
        return buffer.ToArray();
    }

    /// <summary>The id part of "Type/id", of an absolute ".../Type/id" URL, or of a bare id; null when the type differs.</summary>
    public static string? RefId(string value, string type)
    {
        var v = value.Trim();
        var slash = v.LastIndexOf('/');
        if (slash < 0) return v.Length > 0 ? v : null;
        var before = v[..slash];
        var t = before[(before.LastIndexOf('/') + 1)..];
        return t == type && slash + 1 < v.Length ? v[(slash + 1)..] : null;
    }

    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static IEnumerable<JsonElement> Arr(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    public static FhirOperationException BadRequest(string message, string code = "invalid", string? expression = null) => new(400, code, message, expression);
    public static FhirOperationException Unprocessable(string message, string? expression = null) => new(422, "business-rule", message, expression);
}

/// <summary>
/// A FHIR date search value (R4 search.html#date): prefix eq|ge|gt|le|lt, then a year, month, day or instant. A value
/// without a time (2027-03-09) means that whole day in the location's time zone, so it is resolved per location.
/// </summary>
internal sealed record DateParam(string Prefix, string Text, LocalDate? Date, int Precision, DateTime? InstantUtc)
{
    private static readonly string[] Prefixes = ["eq", "ge", "gt", "le", "lt"];

    public static DateParam Parse(string raw, string name)
    {
        var prefix = raw.Length > 2 && char.IsAsciiLetterLower(raw[0]) ? raw[..2] : "eq";
        var text = raw.Length > 2 && char.IsAsciiLetterLower(raw[0]) ? raw[2..] : raw;
        if (!Prefixes.Contains(prefix))
            throw FhirScheduling.BadRequest($"{name}={raw}: the prefix '{prefix}' is not supported here (use eq, ge, gt, le or lt).", "not-supported");
        string[] local = ["yyyy", "yyyy-MM", "yyyy-MM-dd"];
        for (var i = 0; i < local.Length; i++)
            if (DateTime.TryParseExact(text, local[i], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                return new DateParam(prefix, raw, new LocalDate(d.Year, d.Month, d.Day), i, null);
        if (text.Length > 10 && text.Contains('T')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            && (text.EndsWith('Z') || text[^6] is '+' or '-'))
            return new DateParam(prefix, raw, null, 3, instant.UtcDateTime);
        throw FhirScheduling.BadRequest($"{name}={raw} is not a FHIR date (yyyy, yyyy-MM, yyyy-MM-dd, or a dateTime with a time zone such as 2027-03-09T09:00:00-06:00).");
    }

    /// <summary>[low, high) of the value in a zone: the whole day/month/year, or the instant itself.</summary>
    public (DateTime Low, DateTime High) Range(DateTimeZone zone)
    {
        if (InstantUtc is { } t) return (t, t.AddTicks(1));
        var d = Date!.Value;
        var end = Precision switch { 0 => d.PlusYears(1), 1 => d.PlusMonths(1), _ => d.PlusDays(1) };
        return (zone.AtStartOfDay(d).ToDateTimeUtc(), zone.AtStartOfDay(end).ToDateTimeUtc());
    }

    public bool Matches(DateTime valueUtc, DateTimeZone zone)
    {
        var (lo, hi) = Range(zone);
        return Prefix switch
        {
            "ge" => valueUtc >= lo,
            "gt" => valueUtc >= hi,
            "le" => valueUtc < hi,
            "lt" => valueUtc < lo,
            _ => valueUtc >= lo && valueUtc < hi,
        };
    }

    /// <summary>UTC bounds wide enough for every time zone (±14 h), for narrowing the database query before the exact test.</summary>
    public (DateTime? From, DateTime? To) Widened()
    {
        var (lo, hi) = Range(DateTimeZone.Utc);
        var slack = InstantUtc is null ? TimeSpan.FromHours(15) : TimeSpan.Zero;
        return Prefix switch
        {
            "ge" => (lo - slack, null),
            "gt" => (hi - slack, null),
            "le" => (null, hi + slack),
            "lt" => (null, lo + slack),
            _ => (lo - slack, hi + slack),
        };
    }
}
