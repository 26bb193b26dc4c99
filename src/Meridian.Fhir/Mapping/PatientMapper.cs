using System.Text.Json;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using static Meridian.Fhir.Mapping.FhirJson;

namespace Meridian.Fhir.Mapping;

/// <summary>
/// Patient ⇄ US Core 6.1 Patient. The Patients module is the system of record; this renders its snapshot for the FHIR
/// store and turns an incoming FHIR Patient into the module's registration data.
/// </summary>
internal static class PatientMapper
{
    public const string Profile = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
    public const string MrnSystem = "urn:meridian:mrn";
    private const string Race = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    private const string Ethnicity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
    private const string BirthSex = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";
    private const string GenderIdentity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity";
    private const string ContactRole = "http://terminology.hl7.org/CodeSystem/v2-0131";
    private static readonly HashSet<string> OmbRace = ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3", "UNK", "ASKU"];
    private static readonly HashSet<string> OmbEthnicity = ["2135-2", "2186-5", "UNK", "ASKU"];

    public static byte[] Render(PatientSnapshot p) => Write(w =>
    {
        var d = p.Details;
        w.WriteStartObject();
        w.WriteString("resourceType", "Patient");
        w.WriteString("id", p.Id.ToString());
        w.Meta(p.Version, p.LastUpdated, Profile);
        var hasExtensions = d.Race is { Count: > 0 } || d.Ethnicity is { Count: > 0 } || d.BirthSex is not null || d.GenderIdentity is not null;
        if (hasExtensions)
        {
            w.WriteStartArray("extension");
            if (d.Race is { Count: > 0 }) Category(w, Race, d.Race, d.RaceText, OmbRace);
            if (d.Ethnicity is { Count: > 0 }) Category(w, Ethnicity, d.Ethnicity, d.EthnicityText, OmbEthnicity);
            if (d.BirthSex is { } sex)
            {
                w.WriteStartObject();
                w.WriteString("url", BirthSex);
                w.WriteString("valueCode", sex);
                w.WriteEndObject();
            }
            if (d.GenderIdentity is { } gi)
            {
                w.WriteStartObject();
                w.WriteString("url", GenderIdentity);
                w.Concept("valueCodeableConcept", [gi]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteStartArray("identifier");
        w.WriteStartObject();
        w.WriteString("use", "usual");
        w.Concept("type", [new Coding(CodeSystems.IdentifierType, "MR", "Medical Record Number")]);
        w.WriteString("system", MrnSystem);
        w.WriteString("value", p.Mrn);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteBoolean("active", p.Active);
        w.WriteStartArray("name");
        Name(w, d.LegalName);
        if (d.PreferredName is { } preferred) Name(w, preferred);
        w.WriteEndArray();
        Telecom(w, "telecom", d.Telecom);
        w.WriteString("gender", d.Gender);
        w.Date("birthDate", d.BirthDate);
        if (d.DeceasedDate is { } dd) w.Date("deceasedDateTime", dd);
        if (d.Addresses is { Count: > 0 } addresses)
        {
            w.WriteStartArray("address");
            foreach (var a in addresses) Address(w, a);
            w.WriteEndArray();
        }
        if (d.EmergencyContact is { } ec)
        {
            w.WriteStartArray("contact");
            w.WriteStartObject();
            w.WriteStartArray("relationship");
            w.WriteStartObject();
            w.WriteStartArray("coding");
            w.CodingValue(new Coding(ContactRole, "C", "Emergency Contact"));
            w.WriteEndArray();
            w.WriteEndObject();
            if (ec.Relationship is { } r)
            {
                w.WriteStartObject();
                w.WriteStartArray("coding");
                w.CodingValue(r);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (!string.IsNullOrWhiteSpace(ec.Name))
            {
                w.WriteStartObject("name");
                w.WriteString("text", ec.Name);
                w.WriteEndObject();
            }
            var points = new List<ContactPoint>();
            if (!string.IsNullOrWhiteSpace(ec.Phone)) points.Add(new ContactPoint("phone", ec.Phone));
            if (!string.IsNullOrWhiteSpace(ec.Email)) points.Add(new ContactPoint("email", ec.Email));
            Telecom(w, "telecom", points);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        if (d.PreferredLanguage is { } language)
        {
            w.WriteStartArray("communication");
            w.WriteStartObject();
            w.Concept("language", [language]);
            w.WriteBoolean("preferred", true);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        if (p.MergedInto is { } target)
        {
            w.WriteStartArray("link");
            w.WriteStartObject();
            w.WriteStartObject("other");
            w.WriteString("reference", $"Patient/{target}");
            w.WriteEndObject();
            w.WriteString("type", "replaced-by");
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });

    private static void Category(System.Text.Json.Utf8JsonWriter w, string url, IReadOnlyList<Coding> codes, string? text, HashSet<string> omb)
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteStartArray("extension");
        foreach (var c in codes)
        {
            w.WriteStartObject();
            w.WriteString("url", omb.Contains(c.Code) ? "ombCategory" : "detailed");
            w.WritePropertyName("valueCoding");
            w.CodingValue(c);
            w.WriteEndObject();
        }
        // US Core: the text sub-extension is required (1..1).
        w.WriteStartObject();
        w.WriteString("url", "text");
        w.WriteString("valueString", !string.IsNullOrWhiteSpace(text) ? text : string.Join(", ", codes.Select(c => c.Display ?? c.Code)));
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static void Name(System.Text.Json.Utf8JsonWriter w, PersonName n)
    {
        w.WriteStartObject();
        w.Str("use", n.Use);
        w.Str("text", n.Display);
        w.Str("family", n.Family);
        var given = n.Given.Where(g => !string.IsNullOrWhiteSpace(g)).ToList();
        if (given.Count > 0)
        {
            w.WriteStartArray("given");
            foreach (var g in given) w.WriteStringValue(g);
            w.WriteEndArray();
        }
        if (!string.IsNullOrWhiteSpace(n.Prefix)) { w.WriteStartArray("prefix"); w.WriteStringValue(n.Prefix); w.WriteEndArray(); }
        if (!string.IsNullOrWhiteSpace(n.Suffix)) { w.WriteStartArray("suffix"); w.WriteStringValue(n.Suffix); w.WriteEndArray(); }
        w.WriteEndObject();
    }

    private static void Telecom(System.Text.Json.Utf8JsonWriter w, string name, IReadOnlyList<ContactPoint>? points)
    {
        if (points is not { Count: > 0 }) return;
        w.WriteStartArray(name);
        foreach (var c in points)
        {
            w.WriteStartObject();
            w.Str("system", c.System);
            w.Str("value", c.Value);
            w.Str("use", c.Use);
            if (c.Rank is { } rank) w.WriteNumber("rank", rank);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    internal static void Address(System.Text.Json.Utf8JsonWriter w, PostalAddress a)
    {
        w.WriteStartObject();
        w.Str("use", a.Use);
        var lines = a.Lines.Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        if (lines.Count > 0)
        {
            w.WriteStartArray("line");
            foreach (var l in lines) w.WriteStringValue(l);
            w.WriteEndArray();
        }
        w.Str("city", a.City);
        w.Str("state", a.State);
        w.Str("postalCode", a.PostalCode);
        w.Str("country", a.Country);
        w.Period("period", a.PeriodStart, a.PeriodEnd);
        w.WriteEndObject();
    }

    /// <summary>
    /// The registration data in a FHIR Patient. What FHIR Patient cannot carry (guarantor, contact preferences) is kept
    /// from <paramref name="existing"/>, so a FHIR update never erases it.
    /// </summary>
    public static PatientDetails Parse(JsonElement r, PatientDetails? existing)
    {
        var v = new Validator();
        var names = A(r, "name").ToList();
        var legal = names.FirstOrDefault(n => S(n, "use") == "official");
        if (legal.ValueKind != JsonValueKind.Object) legal = names.FirstOrDefault(n => S(n, "use") is null or "usual" or "official");
        if (legal.ValueKind != JsonValueKind.Object && names.Count > 0) legal = names[0];
        // The preferred name is the usual name or nickname that is not the legal one (US Core 6.1 Patient.name, USCDI preferred name).
        var preferred = names.FirstOrDefault(n => S(n, "use") is "usual" or "nickname" && !n.Equals(legal));
        var birthDate = ParseDate(S(r, "birthDate"), "Patient.birthDate", v);
        if (S(r, "birthDate") is null) v.Add("Patient.birthDate", "is required: Meridian registers patients with their date of birth.");
        var extensions = A(r, "extension").ToList();
        JsonElement? Ext(string url) => extensions.Where(e => S(e, "url") == url).Select(e => (JsonElement?)e).FirstOrDefault();
        var race = Ext(Race);
        var ethnicity = Ext(Ethnicity);
        List<Coding>? Codes(JsonElement? ext) => ext is { } e
            ? A(e, "extension").Where(x => S(x, "url") is "ombCategory" or "detailed").Select(x => O(x, "valueCoding"))
                .Where(c => c is not null && S(c.Value, "code") is not null).Select(c => new Coding(S(c!.Value, "system") ?? "", S(c.Value, "code")!, S(c.Value, "display"))).ToList()
            : null;
        string? Text(JsonElement? ext) => ext is { } e ? A(e, "extension").Where(x => S(x, "url") == "text").Select(x => S(x, "valueString")).FirstOrDefault() : null;
        var genderIdentity = Ext(GenderIdentity) is { } gi ? FirstCoding(O(gi, "valueCodeableConcept")) : null;

        var addresses = A(r, "address").Select(a => new PostalAddress(
            A(a, "line").Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()!).ToList(),
            S(a, "city") ?? "", UsStates.Normalize(S(a, "state"), S(a, "country")), S(a, "postalCode"), S(a, "country") ?? "US", S(a, "use") ?? "home",
            ParseDate(O(a, "period") is { } p1 ? S(p1, "start") : null, "Patient.address.period.start", v),
            ParseDate(O(a, "period") is { } p2 ? S(p2, "end") : null, "Patient.address.period.end", v))).ToList();
        var telecom = A(r, "telecom").Where(t => S(t, "value") is not null).Select(t => new ContactPoint(S(t, "system") ?? "other", S(t, "value")!, S(t, "use"),
            t.TryGetProperty("rank", out var rank) && rank.TryGetInt32(out var rk) ? rk : null)).ToList();

        EmergencyContact? emergency = null;
        foreach (var c in A(r, "contact"))
        {
            var relationships = A(c, "relationship").SelectMany(x => A(x, "coding")).ToList();
            if (!relationships.Any(x => S(x, "code") == "C")) continue;
            var other = relationships.Where(x => S(x, "code") != "C" && S(x, "code") is not null)
                .Select(x => new Coding(S(x, "system") ?? "", S(x, "code")!, S(x, "display"))).FirstOrDefault();
            var name = O(c, "name") is { } n ? S(n, "text") ?? string.Join(' ', A(n, "given").Select(g => g.GetString()).Append(S(n, "family")).Where(s => !string.IsNullOrEmpty(s))) : "";
            var points = A(c, "telecom").ToList();
            emergency = new EmergencyContact(name, other,
                points.Where(t => S(t, "system") == "phone").Select(t => S(t, "value")).FirstOrDefault(),
                points.Where(t => S(t, "system") == "email").Select(t => S(t, "value")).FirstOrDefault());
            break;
        }
        var language = A(r, "communication").OrderByDescending(c => c.TryGetProperty("preferred", out var pr) && pr.ValueKind == JsonValueKind.True)
            .Select(c => Language(O(c, "language"))).FirstOrDefault(c => c is not null);
        // An update replaces the resource (R4 http.html#update): no deceased[x] means not deceased. Meridian records the
        // date of death; deceasedBoolean true keeps the recorded date, and without one there is nothing to store.
        DateOnly? deceased = null;
        if (S(r, "deceasedDateTime") is { } dd) deceased = ParseDate(dd, "Patient.deceasedDateTime", v);
        else if (r.TryGetProperty("deceasedBoolean", out var db) && db.ValueKind == JsonValueKind.True)
        {
            deceased = existing?.DeceasedDate;
            if (deceased is null) v.Add("Patient.deceased", "Meridian records the date of death: send deceasedDateTime instead of deceasedBoolean true.");
        }
        v.ThrowIfInvalid();

        return new PatientDetails(
            LegalName: PersonNameOf(legal, "official"),
            BirthDate: birthDate!.Value,
            Gender: S(r, "gender") ?? "unknown",
            PreferredName: preferred.ValueKind == JsonValueKind.Object ? PersonNameOf(preferred, "usual") : null,
            BirthSex: Ext(BirthSex) is { } bs ? S(bs, "valueCode") : null,
            GenderIdentity: genderIdentity,
            Race: Codes(race),
            RaceText: Text(race),
            Ethnicity: Codes(ethnicity),
            EthnicityText: Text(ethnicity),
            PreferredLanguage: language,
            Addresses: addresses,
            Telecom: telecom,
            ContactPreferences: existing?.ContactPreferences,
            EmergencyContact: emergency,
            Guarantor: existing?.Guarantor,
            DeceasedDate: deceased);
    }

    private const string Iso639_1 = "http://id.loc.gov/vocabulary/iso639-1";

    /// <summary>
    /// The language as BCP-47 (US Core 6.1 Patient.communication.language binds to it). An ISO 639-1 code (Synthea and
    /// others send http://id.loc.gov/vocabulary/iso639-1) is already a valid BCP-47 tag: RFC 5646 §2.2.1 takes the
    /// two-letter ISO 639-1 code as the primary language subtag. Any other system is left for validation to refuse.
    /// </summary>
    private static Coding? Language(JsonElement? concept)
    {
        if (FirstCoding(concept, CodeSystems.Bcp47) is { } bcp47) return bcp47;
        if (FirstCoding(concept, Iso639_1) is { } iso && iso.Code.Length == 2) return iso with { System = CodeSystems.Bcp47, Code = iso.Code.ToLowerInvariant() };
        return FirstCoding(concept);
    }

    internal static PersonName PersonNameOf(JsonElement n, string defaultUse) => new(
        S(n, "family") ?? "",
        A(n, "given").Where(g => g.ValueKind == JsonValueKind.String).Select(g => g.GetString()!).ToList(),
        A(n, "prefix").Where(g => g.ValueKind == JsonValueKind.String).Select(g => g.GetString()!).FirstOrDefault(),
        A(n, "suffix").Where(g => g.ValueKind == JsonValueKind.String).Select(g => g.GetString()!).FirstOrDefault(),
        S(n, "use") ?? defaultUse);
}
