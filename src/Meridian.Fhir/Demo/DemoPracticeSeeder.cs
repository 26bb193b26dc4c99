using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Store;
using Meridian.Fhir.Validation;
using Meridian.SharedKernel.Data;

namespace Meridian.Fhir.Demo;

/// <summary>
/// The demo practice's directory: the practice (US Core Organization), its two locations (US Core Location) and its
/// physicians and nurse (US Core Practitioner). Written through the FHIR store's write path (validation, history,
/// search index) in one transaction with one audit record for the run. Idempotent: the resources have fixed ids, and
/// those already present are left as they are (a demo user may have edited them).
/// </summary>
internal sealed class DemoPracticeSeeder(FhirStore store, IAuditTrail audit, TimeProvider time) : IDemoSeeder
{
    // After the staff users (Identity, 10) and before the patients (30), who are the practice's patients.
    public int Order => 20;

    public const string OrganizationId = "demo-practice";
    public const string MainStreetId = "demo-location-main-street";
    public const string RiversideId = "demo-location-riverside";
    private const string NpiSystem = "http://hl7.org/fhir/sid/us-npi";
    // The IRS employer identification number (the practice's TIN), HL7 OID 2.16.840.1.113883.4.4.
    private const string TinSystem = "urn:oid:2.16.840.1.113883.4.4";

    /// <summary>
    /// The demo physician and nurse carry the names of the demo staff users (Identity's DemoStaff: "Dr. Priya Raman",
    /// "Sam Okafor, RN"); they are written out here because modules share only contracts. NPIs are fictitious but carry
    /// a valid check digit (Luhn over the 80840 prefix, CMS NPI standard).
    /// </summary>
    public static readonly IReadOnlyList<DemoPractitioner> Practitioners =
    [
        new("demo-practitioner-raman", "Raman", "Priya", "Dr.", "MD", "1045123456", "female", "Family Medicine"),
        new("demo-practitioner-okafor", "Okafor", "Sam", null, "RN", "1245789635", "male", null),
        new("demo-practitioner-whitfield", "Whitfield", "Daniel", "Dr.", "MD", "1346798527", "male", "Internal Medicine"),
        new("demo-practitioner-marquez", "Marquez", "Elena", "Dr.", "DO", "1452369873", "female", "Pediatrics"),
        new("demo-practitioner-watanabe", "Watanabe", "Kenji", "Dr.", "MD", "1569874120", "male", "Family Medicine"),
    ];

    internal sealed record DemoPractitioner(string Id, string Family, string Given, string? Prefix, string Credential, string Npi, string Gender, string? Specialty);

    Task IDemoSeeder.SeedAsync(CancellationToken ct) => SeedMissingAsync(ct);

    /// <summary>Writes what is missing; returns how many resources were added.</summary>
    public async Task<int> SeedMissingAsync(CancellationToken ct)
    {
        var resources = Resources();
        await using var connection = store.CreateConnection();
        await connection.OpenAsync(ct);
        await using var turn = await SqliteWriteGate.TurnAsync(connection, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var added = new List<string>();
        foreach (var (type, id, json) in resources)
        {
            if (await store.CurrentVersionForUpdateAsync(tx, type, id, ct) is not null) continue;
            using var doc = JsonDocument.Parse(json);
            // The same checks a client's POST gets: the demo data is held to the rules it demonstrates.
            ResourceValidator.ThrowIfInvalid(doc.RootElement, type);
            await store.WriteNativeAsync(tx, type, id, doc.RootElement, expectedVersion: null, mustExist: false, time.GetUtcNow().UtcDateTime, ct);
            added.Add($"{type}/{id}");
        }
        if (added.Count > 0)
            await audit.RecordAsync(new AuditEntry(AuditAction.Create, "Organization", OrganizationId,
                Detail: $"Demo data: seeded the practice directory ({string.Join(", ", added)}); per-resource audit bypassed for seeding.")
            {
                UserNameOverride = "demo-seeder",
                RoleOverride = "system",
            }, tx, ct);
        await tx.CommitAsync(ct);
        return added.Count;
    }

    private static List<(string Type, string Id, string Json)> Resources()
    {
        var list = new List<(string, string, string)>
        {
            ("Organization", OrganizationId, $$"""
            {
              "resourceType": "Organization",
              "meta": { "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization"] },
              "identifier": [
                { "system": "{{NpiSystem}}", "value": "1134567894" },
                { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "TAX", "display": "Tax ID number" }] },
                  "system": "{{TinSystem}}", "value": "12-3456789" }
              ],
              "active": true,
              "type": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov", "display": "Healthcare Provider" }] }],
              "name": "Meridian Family Practice",
              "telecom": [
                { "system": "phone", "value": "(555) 010-2000", "use": "work" },
                { "system": "email", "value": "frontdesk@demo.meridian.test", "use": "work" }
              ],
              "address": [{ "use": "work", "line": ["100 Main Street", "Suite 200"], "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US" }]
            }
            """),
            ("Location", MainStreetId, Location(MainStreetId, "Main Street Clinic", "100 Main Street", "Suite 200", "(555) 010-2000", "62701", 39.8017, -89.6436)),
            ("Location", RiversideId, Location(RiversideId, "Riverside Office", "2400 Riverside Drive", null, "(555) 010-3000", "62704", 39.7817, -89.6890)),
        };
        foreach (var p in Practitioners)
            list.Add(("Practitioner", p.Id, $$"""
            {
              "resourceType": "Practitioner",
              "meta": { "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner"] },
              "identifier": [{ "system": "{{NpiSystem}}", "value": "{{p.Npi}}" }],
              "active": true,
              "name": [{ "use": "official", "family": "{{p.Family}}", "given": ["{{p.Given}}"]{{(p.Prefix is null ? "" : $", \"prefix\": [\"{p.Prefix}\"]")}}, "suffix": ["{{p.Credential}}"] }],
              "telecom": [{ "system": "phone", "value": "(555) 010-2000", "use": "work" }],
              "address": [{ "use": "work", "line": ["100 Main Street", "Suite 200"], "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US" }],
              "gender": "{{p.Gender}}",
              "qualification": [{
                "code": {
                  "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0360", "code": "{{p.Credential}}" }],
                  "text": "{{p.Credential}}{{(p.Specialty is null ? "" : ", " + p.Specialty)}}"
                }
              }]
            }
            """));
        return list;
    }

    private static string Location(string id, string name, string line1, string? line2, string phone, string zip, double latitude, double longitude) => $$"""
        {
          "resourceType": "Location",
          "meta": { "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-location"] },
          "identifier": [{ "system": "urn:meridian:location", "value": "{{id}}" }],
          "status": "active",
          "name": "{{name}}",
          "mode": "instance",
          "type": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "OF", "display": "Outpatient facility" }] }],
          "telecom": [{ "system": "phone", "value": "{{phone}}", "use": "work" }],
          "address": { "use": "work", "line": ["{{line1}}"{{(line2 is null ? "" : $", \"{line2}\"")}}], "city": "Springfield", "state": "IL", "postalCode": "{{zip}}", "country": "US" },
          "position": { "longitude": {{longitude.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "latitude": {{latitude.ToString(System.Globalization.CultureInfo.InvariantCulture)}} },
          "managingOrganization": { "reference": "Organization/{{OrganizationId}}", "display": "Meridian Family Practice" }
        }
        """;
}
