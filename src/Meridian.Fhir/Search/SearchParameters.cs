using System.Text.Json;

namespace Meridian.Fhir.Search;

/// <summary>FHIR search parameter types Meridian indexes (R4 search.html#ptypes).</summary>
internal enum SearchParamType
{
    String,
    Token,
    Date,
    Reference,
}

/// <summary>
/// One search parameter of a resource type: its FHIR name and type, the FHIRPath expression it implements (published
/// in the CapabilityStatement), and the C# that selects the nodes from a resource. Declared once here; the indexer
/// and the query builder both read these declarations, so adding a resource type is adding its list.
/// </summary>
/// <remarks>ImplicitSystem: the code system of a plain code element's required binding (e.g. administrative-gender), so that
/// "gender=http://hl7.org/fhir/administrative-gender|female" matches as well as "gender=female".</remarks>
internal sealed record SearchParameter(string Name, SearchParamType Type, string Expression, Func<JsonElement, IEnumerable<JsonElement>> Select,
    string[]? Targets = null, string? ImplicitSystem = null);

internal static class SearchParameters
{
    private static SearchParameter Str(string name, string expression, params string[] paths) =>
        new(name, SearchParamType.String, expression, r => paths.SelectMany(p => Json.Select(r, p)));

    private static SearchParameter Tok(string name, string expression, params string[] paths) =>
        new(name, SearchParamType.Token, expression, r => paths.SelectMany(p => Json.Select(r, p)));

    private static SearchParameter Dat(string name, string expression, params string[] paths) =>
        new(name, SearchParamType.Date, expression, r => paths.SelectMany(p => Json.Select(r, p)));

    private static SearchParameter Ref(string name, string expression, string[] targets, params string[] paths) =>
        new(name, SearchParamType.Reference, expression, r => paths.SelectMany(p => Json.Select(r, p)), targets);

    private static SearchParameter Gender(string resource) =>
        new("gender", SearchParamType.Token, $"{resource}.gender", r => Json.Select(r, "gender"), ImplicitSystem: "http://hl7.org/fhir/administrative-gender");

    private static SearchParameter Telecom(string name, string system, string resource) =>
        new(name, SearchParamType.Token, $"{resource}.telecom.where(system='{system}')",
            r => Json.Select(r, "telecom").Where(t => Json.Str(t, "system") == system));

    private static readonly SearchParameter[] Patient =
    [
        Tok("identifier", "Patient.identifier", "identifier"),
        Str("family", "Patient.name.family", "name.family"),
        Str("given", "Patient.name.given", "name.given"),
        Str("name", "Patient.name", "name"),
        Dat("birthdate", "Patient.birthDate", "birthDate"),
        Gender("Patient"),
        Tok("active", "Patient.active", "active"),
        Tok("telecom", "Patient.telecom", "telecom"),
        Telecom("phone", "phone", "Patient"),
        Telecom("email", "email", "Patient"),
        Str("address", "Patient.address", "address"),
        Str("address-city", "Patient.address.city", "address.city"),
        Str("address-state", "Patient.address.state", "address.state"),
        Str("address-postalcode", "Patient.address.postalCode", "address.postalCode"),
        Dat("death-date", "(Patient.deceased as dateTime)", "deceasedDateTime"),
    ];

    private static readonly SearchParameter[] Coverage =
    [
        Ref("patient", "Coverage.beneficiary", ["Patient"], "beneficiary"),
        Ref("beneficiary", "Coverage.beneficiary", ["Patient"], "beneficiary"),
        Ref("subscriber", "Coverage.subscriber", ["Patient", "RelatedPerson"], "subscriber"),
        Ref("payor", "Coverage.payor", ["Organization", "Patient", "RelatedPerson"], "payor"),
        Tok("identifier", "Coverage.identifier", "identifier"),
        Tok("status", "Coverage.status", "status"),
        Tok("type", "Coverage.type", "type"),
    ];

    private static readonly SearchParameter[] Organization =
    [
        Str("name", "Organization.name | Organization.alias", "name", "alias"),
        Tok("identifier", "Organization.identifier", "identifier"),
        Tok("active", "Organization.active", "active"),
        Tok("type", "Organization.type", "type"),
        Str("address", "Organization.address", "address"),
        Str("address-city", "Organization.address.city", "address.city"),
        Ref("partof", "Organization.partOf", ["Organization"], "partOf"),
    ];

    private static readonly SearchParameter[] Practitioner =
    [
        Str("name", "Practitioner.name", "name"),
        Str("family", "Practitioner.name.family", "name.family"),
        Str("given", "Practitioner.name.given", "name.given"),
        Tok("identifier", "Practitioner.identifier", "identifier"),
        Tok("active", "Practitioner.active", "active"),
        Gender("Practitioner"),
        Tok("telecom", "Practitioner.telecom", "telecom"),
        Str("address", "Practitioner.address", "address"),
    ];

    private static readonly SearchParameter[] Location =
    [
        Str("name", "Location.name | Location.alias", "name", "alias"),
        Str("address", "Location.address", "address"),
        Str("address-city", "Location.address.city", "address.city"),
        Str("address-state", "Location.address.state", "address.state"),
        Str("address-postalcode", "Location.address.postalCode", "address.postalCode"),
        Tok("identifier", "Location.identifier", "identifier"),
        Tok("status", "Location.status", "status"),
        Tok("type", "Location.type", "type"),
        Ref("organization", "Location.managingOrganization", ["Organization"], "managingOrganization"),
        Ref("partof", "Location.partOf", ["Location"], "partOf"),
    ];

    private static readonly SearchParameter[] RelatedPerson =
    [
        Ref("patient", "RelatedPerson.patient", ["Patient"], "patient"),
        Tok("identifier", "RelatedPerson.identifier", "identifier"),
        Str("name", "RelatedPerson.name", "name"),
        Tok("relationship", "RelatedPerson.relationship", "relationship"),
        Tok("active", "RelatedPerson.active", "active"),
        Gender("RelatedPerson"),
        Dat("birthdate", "RelatedPerson.birthDate", "birthDate"),
        Tok("telecom", "RelatedPerson.telecom", "telecom"),
        Str("address", "RelatedPerson.address", "address"),
    ];

    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, SearchParameter>> ByType =
        new Dictionary<string, SearchParameter[]>(StringComparer.Ordinal)
        {
            ["Patient"] = Patient,
            ["Coverage"] = Coverage,
            ["Organization"] = Organization,
            ["Practitioner"] = Practitioner,
            ["Location"] = Location,
            ["RelatedPerson"] = RelatedPerson,
        }.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, SearchParameter>)kv.Value.ToDictionary(p => p.Name, StringComparer.Ordinal),
            StringComparer.Ordinal);

    public static SearchParameter? Find(string type, string name) =>
        ByType.TryGetValue(type, out var ps) && ps.TryGetValue(name, out var p) ? p : null;
}

/// <summary>Small helpers for walking FHIR JSON: a dotted path through objects and arrays, FHIRPath-style.</summary>
internal static class Json
{
    public static IEnumerable<JsonElement> Select(JsonElement node, string path)
    {
        IEnumerable<JsonElement> current = [node];
        foreach (var segment in path.Split('.'))
            current = current.SelectMany(n => Child(n, segment));
        return current;
    }

    private static IEnumerable<JsonElement> Child(JsonElement node, string name)
    {
        if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out var value)) yield break;
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
                if (item.ValueKind != JsonValueKind.Null) yield return item;
        }
        else if (value.ValueKind != JsonValueKind.Null) yield return value;
    }

    public static string? Str(JsonElement node, string name) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
