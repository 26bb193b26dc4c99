using System.Net;
using System.Text.Json;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Fhir.FhirTestData;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Fhir;

/// <summary>
/// FHIR Patient and Coverage writes end to end: through /fhir into the Patients module (the system of record), back out
/// through /api/patients and FHIR search at once, with versioning, duplicate detection and one audit record per write.
/// </summary>
public abstract class FhirPatientWriteTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static int _birthDay;

    /// <summary>A birth date no other test in the class uses, so duplicate detection only fires where a test wants it.</summary>
    private static DateOnly NextBirthDate() => new DateOnly(1950, 1, 1).AddDays(Interlocked.Increment(ref _birthDay) * 37);

    private static string Phone() => $"(555) {Random.Shared.Next(200, 999)}-{Random.Shared.Next(1000, 9999)}";

    /// <summary>A US Core 6.1 Patient as an outside system sends it: race, ethnicity and birth sex extensions, identifiers, telecom, address.</summary>
    internal static string UsCorePatient(string family, string given, DateOnly birthDate, string phone, string? id = null) => $$"""
        {
          "resourceType": "Patient",
          {{(id is null ? "" : $"\"id\": \"{id}\",")}}
          "meta": { "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"] },
          "extension": [
            { "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
              "extension": [
                { "url": "ombCategory", "valueCoding": { "system": "urn:oid:2.16.840.1.113883.6.238", "code": "2028-9", "display": "Asian" } },
                { "url": "detailed", "valueCoding": { "system": "urn:oid:2.16.840.1.113883.6.238", "code": "2039-6", "display": "Japanese" } },
                { "url": "text", "valueString": "Asian, Japanese" } ] },
            { "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
              "extension": [
                { "url": "ombCategory", "valueCoding": { "system": "urn:oid:2.16.840.1.113883.6.238", "code": "2186-5", "display": "Not Hispanic or Latino" } },
                { "url": "text", "valueString": "Not Hispanic or Latino" } ] },
            { "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "F" }
          ],
          "identifier": [
            { "system": "http://hospital.example.org/mrn", "value": "EXT-{{Guid.NewGuid():N}}" },
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS" }] }, "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456" }
          ],
          "active": true,
          "name": [
            { "use": "official", "family": "{{family}}", "given": ["{{given}}", "Mae"], "prefix": ["Ms."] },
            { "use": "usual", "given": ["Kiki"], "family": "{{family}}" }
          ],
          "telecom": [
            { "system": "phone", "value": "{{phone}}", "use": "mobile", "rank": 1 },
            { "system": "email", "value": "{{given.ToLowerInvariant()}}@example.org" }
          ],
          "gender": "female",
          "birthDate": "{{birthDate:yyyy-MM-dd}}",
          "address": [
            { "use": "home", "line": ["12 Harbor Rd", "Apt 4"], "city": "Salem", "state": "MA", "postalCode": "01970", "country": "US" }
          ],
          "communication": [ { "language": { "coding": [{ "system": "urn:ietf:bcp:47", "code": "ja", "display": "Japanese" }] }, "preferred": true } ]
        }
        """;

    internal static string CoverageFor(string patientReference, string memberId, int order = 1) => $$"""
        {
          "resourceType": "Coverage",
          "status": "active",
          "subscriberId": "{{memberId}}",
          "beneficiary": { "reference": "{{patientReference}}" },
          "relationship": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "code": "self" }] },
          "period": { "start": "2024-01-01" },
          "payor": [ { "identifier": { "system": "urn:meridian:payer-id", "value": "BCBS-MA" }, "display": "Blue Cross Blue Shield of Massachusetts" } ],
          "class": [
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "group" }] }, "value": "GRP-100" },
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan" }] }, "value": "PPO Gold", "name": "PPO Gold" }
          ],
          "order": {{order}}
        }
        """;

    private static IEnumerable<string> Ids(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("resource").GetProperty("id").GetString()!) : [];

    private static void AssertOutcome(HttpResponseMessage response, JsonElement body)
    {
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());
    }

    private async Task<(string Id, JsonElement Created)> CreatePatientAsync(HttpClient client, string family, DateOnly birthDate)
    {
        using var response = await client.PostAsync("/fhir/Patient", Body(UsCorePatient(family, "Akiko", birthDate, Phone())));
        var created = await response.ExpectAsync(HttpStatusCode.Created);
        return (created.GetProperty("id").GetString()!, created);
    }

    [Fact]
    public async Task Posting_a_us_core_patient_returns_201_and_the_patient_is_visible_through_the_api_and_fhir_search_at_once()
    {
        using var client = await app.SystemClientAsync();
        var family = "Tanaka" + Guid.NewGuid().ToString("N")[..6];
        var birthDate = NextBirthDate();
        var phone = Phone();
        using var response = await client.PostAsync("/fhir/Patient", Body(UsCorePatient(family, "Akiko", birthDate, phone, id: "client-chosen-id")));
        var created = await response.ExpectAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        // R4 http.html#create: the server assigns the id (the client's is ignored) and answers with Location and ETag.
        Assert.NotEqual("client-chosen-id", id);
        Assert.EndsWith($"/fhir/Patient/{id}/_history/1", response.Headers.Location?.ToString());
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal("1", created.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);

        // What Meridian keeps comes back: names, birth sex, race with its detailed code, ethnicity, telecom, address, language.
        var text = created.GetRawText();
        Assert.Equal(family, created.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal(["Akiko", "Mae"], created.GetProperty("name")[0].GetProperty("given").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal("Kiki", created.GetProperty("name")[1].GetProperty("given")[0].GetString());
        Assert.Contains("\"2039-6\"", text);
        Assert.Contains("\"2186-5\"", text);
        Assert.Contains("\"valueCode\":\"F\"", text);
        Assert.Contains(phone, text);
        Assert.Equal("Salem", created.GetProperty("address")[0].GetProperty("city").GetString());
        Assert.Equal("ja", created.GetProperty("communication")[0].GetProperty("language").GetProperty("coding")[0].GetProperty("code").GetString());
        var mrn = created.GetProperty("identifier").EnumerateArray().Single(i => i.GetProperty("system").GetString() == "urn:meridian:mrn").GetProperty("value").GetString()!;

        var api = await (await client.GetAsync($"/api/patients/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(mrn, api.GetProperty("mrn").GetString());
        Assert.Equal(family, api.GetProperty("details").GetProperty("legalName").GetProperty("family").GetString());
        Assert.Equal(birthDate.ToString("yyyy-MM-dd"), api.GetProperty("details").GetProperty("birthDate").GetString());

        Assert.Equal([id], Ids(await (await client.GetAsync($"/fhir/Patient?family={family}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([id], Ids(await (await client.GetAsync($"/fhir/Patient?identifier=urn:meridian:mrn|{mrn}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([id], Ids(await (await client.GetAsync($"/fhir/Patient?given=kiki&birthdate={birthDate:yyyy-MM-dd}&family={family}")).ExpectAsync(HttpStatusCode.OK)));
        var read = await client.GetAsync($"/fhir/Patient/{id}");
        Assert.Equal(created.GetRawText(), (await read.ExpectAsync(HttpStatusCode.OK)).GetRawText());

        var creates = (await AuditForPatientAsync(app, id)).Where(a => a.Action == "Create").ToList();
        var entry = Assert.Single(creates);
        Assert.Equal("Patient", entry.ResourceType);
        Assert.Equal(id, entry.ResourceId);
        Assert.Equal(id, entry.PatientId);
    }

    [Fact]
    public async Task Put_with_if_match_updates_to_version_2_and_a_stale_if_match_returns_412_and_changes_nothing()
    {
        using var client = await app.SystemClientAsync();
        var family = "Sato" + Guid.NewGuid().ToString("N")[..6];
        var birthDate = NextBirthDate();
        var (id, _) = await CreatePatientAsync(client, family, birthDate);

        var changed = UsCorePatient(family, "Akiko", birthDate, "(555) 321-7654", id).Replace("Salem", "Beverly");
        using var update = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Patient/{id}") { Content = Body(changed) };
        IfMatch(update, "W/\"1\"");
        using var updateResponse = await client.SendAsync(update);
        var updated = await updateResponse.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("2", updated.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("W/\"2\"", updateResponse.Headers.ETag?.ToString());
        Assert.Equal("Beverly", updated.GetProperty("address")[0].GetProperty("city").GetString());

        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Patient/{id}") { Content = Body(changed.Replace("Beverly", "Lost Update Town")) };
        IfMatch(stale, "W/\"1\"");
        using var staleResponse = await client.SendAsync(stale);
        AssertOutcome(staleResponse, await staleResponse.ExpectAsync(HttpStatusCode.PreconditionFailed));

        var current = await (await client.GetAsync($"/fhir/Patient/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("2", current.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal("Beverly", current.GetProperty("address")[0].GetProperty("city").GetString());
        var api = await (await client.GetAsync($"/api/patients/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, api.GetProperty("version").GetInt32());
        Assert.Equal("Beverly", api.GetProperty("details").GetProperty("addresses")[0].GetProperty("city").GetString());
        var v1 = await (await client.GetAsync($"/fhir/Patient/{id}/_history/1")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Salem", v1.GetProperty("address")[0].GetProperty("city").GetString());

        var audit = await AuditForPatientAsync(app, id);
        Assert.Single(audit, a => a.Action == "Create");
        Assert.Single(audit, a => a.Action == "Update" && a.ResourceType == "Patient" && a.PatientId == id);
    }

    [Fact]
    public async Task A_likely_duplicate_returns_409_listing_the_candidates_and_nothing_is_stored()
    {
        using var client = await app.SystemClientAsync();
        var family = "Nakamura" + Guid.NewGuid().ToString("N")[..6];
        var birthDate = NextBirthDate();
        var (id, created) = await CreatePatientAsync(client, family, birthDate);
        var mrn = created.GetProperty("identifier")[0].GetProperty("value").GetString()!;

        using var response = await client.PostAsync("/fhir/Patient", Body(UsCorePatient(family, "Akiko", birthDate, Phone())));
        var outcome = await response.ExpectAsync(HttpStatusCode.Conflict);
        AssertOutcome(response, outcome);
        var issues = outcome.GetProperty("issue").EnumerateArray().ToList();
        Assert.Equal("duplicate", issues[0].GetProperty("code").GetString());
        Assert.Contains(issues, i => i.GetProperty("diagnostics").GetString()!.Contains($"Patient/{id}") && i.GetProperty("diagnostics").GetString()!.Contains(mrn));

        Assert.Equal([id], Ids(await (await client.GetAsync($"/fhir/Patient?family={family}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(1L, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));
        Assert.Single(await AuditAsync(app, "Create"), a => a.ResourceType == "Patient" && a.PatientId == id);
    }

    [Fact]
    public async Task A_coverage_posted_for_the_patient_is_found_by_coverage_search_and_in_the_patients_coverages()
    {
        using var client = await app.SystemClientAsync();
        var (patientId, _) = await CreatePatientAsync(client, "Ito" + Guid.NewGuid().ToString("N")[..6], NextBirthDate());
        var memberId = "BCX" + Guid.NewGuid().ToString("N")[..9];

        using var response = await client.PostAsync("/fhir/Coverage", Body(CoverageFor($"Patient/{patientId}", memberId)));
        var created = await response.ExpectAsync(HttpStatusCode.Created);
        var coverageId = created.GetProperty("id").GetString()!;
        Assert.EndsWith($"/fhir/Coverage/{coverageId}/_history/1", response.Headers.Location?.ToString());
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal("1", created.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal($"Patient/{patientId}", created.GetProperty("beneficiary").GetProperty("reference").GetString());
        Assert.Equal(memberId, created.GetProperty("subscriberId").GetString());

        Assert.Equal([coverageId], Ids(await (await client.GetAsync($"/fhir/Coverage?patient=Patient/{patientId}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([coverageId], Ids(await (await client.GetAsync($"/fhir/Coverage?beneficiary={patientId}")).ExpectAsync(HttpStatusCode.OK)));

        var api = await (await client.GetAsync($"/api/patients/{patientId}")).ExpectAsync(HttpStatusCode.OK);
        var coverage = Assert.Single(api.GetProperty("coverages").EnumerateArray());
        Assert.Equal(coverageId, coverage.GetProperty("id").GetString());
        Assert.Equal(memberId, coverage.GetProperty("details").GetProperty("memberId").GetString());
        Assert.Equal("Blue Cross Blue Shield of Massachusetts", coverage.GetProperty("details").GetProperty("payerName").GetString());
        Assert.Equal("GRP-100", coverage.GetProperty("details").GetProperty("groupNumber").GetString());
        Assert.Equal("PPO Gold", coverage.GetProperty("details").GetProperty("planName").GetString());
        Assert.Equal(1, coverage.GetProperty("details").GetProperty("rank").GetInt32());

        var creates = (await AuditForPatientAsync(app, patientId)).Where(a => a.Action == "Create").ToList();
        Assert.Single(creates, a => a.ResourceType == "Patient");
        var entry = Assert.Single(creates, a => a.ResourceType == "Coverage");
        Assert.Equal(coverageId, entry.ResourceId);
        Assert.Equal(patientId, entry.PatientId);
    }

    [Theory]
    [InlineData("none", HttpStatusCode.BadRequest, "beneficiary")]
    [InlineData("unknown", HttpStatusCode.NotFound, "was not found")]
    [InlineData("organization", HttpStatusCode.BadRequest, "Coverage.beneficiary")]
    [InlineData("malformed", HttpStatusCode.BadRequest, "Coverage.beneficiary")]
    [InlineData("cancelled", HttpStatusCode.BadRequest, "Coverage.status")]
    public async Task An_invalid_coverage_is_refused_with_an_operation_outcome_and_nothing_is_stored(string beneficiary, HttpStatusCode status, string expected)
    {
        using var client = await app.SystemClientAsync();
        var (patientId, _) = await CreatePatientAsync(client, "Kato" + Guid.NewGuid().ToString("N")[..6], NextBirthDate());
        var memberId = "BAD" + Guid.NewGuid().ToString("N")[..9];
        var json = CoverageFor(beneficiary switch
        {
            "unknown" => $"Patient/{Guid.NewGuid()}",
            "organization" => $"Organization/{patientId}",
            "malformed" => "Patient/not a valid id",
            "cancelled" => $"Patient/{patientId}",
            _ => "REMOVE",
        }, memberId);
        if (beneficiary == "none") json = json.Replace("\"beneficiary\": { \"reference\": \"REMOVE\" },", "");
        if (beneficiary == "cancelled") json = json.Replace("\"status\": \"active\"", "\"status\": \"cancelled\"");

        using var response = await client.PostAsync("/fhir/Coverage", Body(json));
        var outcome = await response.ExpectAsync(status);
        AssertOutcome(response, outcome);
        Assert.Contains(expected, outcome.GetRawText());

        Assert.Empty(Ids(await (await client.GetAsync($"/fhir/Coverage?patient=Patient/{patientId}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(0L, await CountRowsAsync(app, "coverage", "member_id = @m", ("@m", memberId)));
        Assert.DoesNotContain(await AuditAsync(app, "Create", "Coverage"), a => a.Detail?.Contains(memberId) == true);
    }
}

public sealed class FhirPatientWriteTests_Sqlite(SqliteApp app) : FhirPatientWriteTests<SqliteApp>(app);
public sealed class FhirPatientWriteTests_PostgreSql(PostgreSqlApp app) : FhirPatientWriteTests<PostgreSqlApp>(app);
