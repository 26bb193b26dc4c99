using System.Net;
using System.Text.Json;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Fhir.FhirTestData;

namespace Meridian.Tests.Fhir;

public abstract class FhirApiTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static void AssertOutcome(JsonElement body) => Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());

    private static int Total(JsonElement bundle) => bundle.GetProperty("total").GetInt32();

    private static IEnumerable<string> Ids(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("resource").GetProperty("id").GetString()!) : [];

    [Fact]
    public async Task Creating_an_organization_returns_201_with_location_etag_and_the_stored_resource_reads_back_identically()
    {
        using var client = await app.SystemClientAsync();
        var response = await client.PostAsync("/fhir/Organization", Body("""{"resourceType":"Organization","name":"Lakeside Clinic","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],"active":true}"""));
        var created = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        var id = created.GetProperty("id").GetString()!;
        Assert.EndsWith($"/fhir/Organization/{id}/_history/1", response.Headers.Location?.ToString());
        Assert.Equal("1", created.GetProperty("meta").GetProperty("versionId").GetString());

        var read = await client.GetAsync($"/fhir/Organization/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(await response.Content.ReadAsStringAsync(), await read.Content.ReadAsStringAsync());
        Assert.Equal("W/\"1\"", read.Headers.ETag?.ToString());

        var byName = await (await client.GetAsync("/fhir/Organization?name=lakeSIDE")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(id, Ids(byName));
        var byIdentifier = await (await client.GetAsync("/fhir/Organization?identifier=http://hl7.org/fhir/sid/us-npi|1234567893")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(id, Ids(byIdentifier));
    }

    [Fact]
    public async Task Updating_with_a_stale_if_match_returns_412_and_keeps_the_current_version()
    {
        using var client = await app.SystemClientAsync();
        var created = await (await client.PostAsync("/fhir/Location", Body("""{"resourceType":"Location","name":"North Office","status":"active"}"""))).ExpectAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        using var first = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Location/{id}") { Content = Body($$"""{"resourceType":"Location","id":"{{id}}","name":"North Office (renamed)","status":"active"}""") };
        IfMatch(first, "W/\"1\"");
        var updated = await (await client.SendAsync(first)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("2", updated.GetProperty("meta").GetProperty("versionId").GetString());

        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Location/{id}") { Content = Body($$"""{"resourceType":"Location","id":"{{id}}","name":"Lost update","status":"active"}""") };
        IfMatch(stale, "W/\"1\"");
        AssertOutcome(await (await client.SendAsync(stale)).ExpectAsync(HttpStatusCode.PreconditionFailed));

        var current = await (await client.GetAsync($"/fhir/Location/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("North Office (renamed)", current.GetProperty("name").GetString());
        var v1 = await (await client.GetAsync($"/fhir/Location/{id}/_history/1")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("North Office", v1.GetProperty("name").GetString());
        Assert.Equal(0, Total(await (await client.GetAsync("/fhir/Location?name=lost")).ExpectAsync(HttpStatusCode.OK)));
    }

    [Theory]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"Unknown"}],"favouriteColour":"blue"}""", "unknown element")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{"family":""}]}""", "empty strings")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{}]}""", "empty objects")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[]}""", "empty arrays")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"Unknown"}],"gender":"robot"}""", "required value set")]
    [InlineData("Practitioner", """{"resourceType":"Organization","name":"Unknown"}""", "does not match")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"Unknown"}""", "not valid JSON")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":{"family":"Unknown"}}""", "JSON array")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"Unknown"}],"birthDate":"1980-02-30"}""", "calendar")]
    [InlineData("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"Unknown"}],"active":"yes"}""", "boolean")]
    [InlineData("Patient", """{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"}],"name":[{"family":"Unknown"}],"gender":"robot","birthDate":"1980-01-01"}""", "required value set")]
    [InlineData("Patient", """{"resourceType":"Patient","name":[{"family":"Unknown"}],"gender":"male","birthDate":"1980-01-01"}""", "US Core")]
    public async Task Invalid_resources_are_refused_with_400_operation_outcome_and_nothing_is_stored(string type, string json, string expected)
    {
        using var client = await app.SystemClientAsync();
        var response = await client.PostAsync($"/fhir/{type}", Body(json));
        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        AssertOutcome(body);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, body.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var search = await (await client.GetAsync($"/fhir/{type}?name=unknown")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, Total(search));
    }

    [Fact]
    public async Task An_oversized_string_is_refused_and_nothing_is_stored()
    {
        using var client = await app.SystemClientAsync();
        var huge = new string('x', 20_000);
        var body = await (await client.PostAsync("/fhir/Organization", Body($$"""{"resourceType":"Organization","name":"Oversized {{huge}}"}"""))).ExpectAsync(HttpStatusCode.BadRequest);
        AssertOutcome(body);
        Assert.Equal(0, Total(await (await client.GetAsync("/fhir/Organization?name=oversized")).ExpectAsync(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Put_with_an_id_that_differs_from_the_url_is_refused()
    {
        using var client = await app.SystemClientAsync();
        var body = await (await client.PutAsync("/fhir/Organization/abc", Body("""{"resourceType":"Organization","id":"xyz","name":"Mismatch"}"""))).ExpectAsync(HttpStatusCode.BadRequest);
        AssertOutcome(body);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/fhir/Organization/abc")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/fhir/Organization/xyz")).StatusCode);
    }

    [Fact]
    public async Task Reading_a_missing_resource_returns_404_operation_outcome()
    {
        using var client = await app.SystemClientAsync();
        AssertOutcome(await (await client.GetAsync($"/fhir/Patient/{Guid.NewGuid()}")).ExpectAsync(HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Fhir_endpoints_refuse_requests_without_a_token_and_tokens_without_the_permission()
    {
        using var anonymous = app.AnonymousClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/fhir/Patient?family=x")).StatusCode);
        using var biller = await app.ClientForRoleAsync(Roles.Biller);
        Assert.Equal(HttpStatusCode.Forbidden, (await biller.PostAsync("/fhir/Organization", Body("""{"resourceType":"Organization","name":"Nope"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await biller.GetAsync("/fhir/AuditEvent")).StatusCode);
    }

    [Fact]
    public async Task Patient_string_search_is_a_case_and_accent_insensitive_starts_with()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var zoe = Patient($"Zoë{tag}", "Renée", new DateOnly(1980, 3, 15));
        var other = Patient($"Zoo{tag}", "Adam", new DateOnly(1991, 7, 1), "male");
        await ProjectAsync(app, zoe);
        await ProjectAsync(app, other);
        using var client = await app.SystemClientAsync();

        Assert.Equal([zoe.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?family=ZOE{tag}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([zoe.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?family=zoë{tag[..3]}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(2, Total(await (await client.GetAsync($"/fhir/Patient?name=zo&family=Zo&given=renee,adam&family:contains={tag}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([zoe.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?family:exact=Zoë{tag}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Empty(Ids(await (await client.GetAsync($"/fhir/Patient?family:exact=zoe{tag}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Empty(Ids(await (await client.GetAsync($"/fhir/Patient?family=oe{tag}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([other.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?family=zo{tag[..0]}&given=ADA&gender=male&family:contains={tag}")).ExpectAsync(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Patient_token_search_matches_system_and_code_forms()
    {
        var p = Patient("Tokenson", "Tia", new DateOnly(1975, 5, 5), mrn: "MRN-" + Guid.NewGuid().ToString("N")[..8]);
        await ProjectAsync(app, p);
        using var client = await app.SystemClientAsync();
        Assert.Equal([p.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?identifier=urn:meridian:mrn|{p.Mrn}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([p.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?identifier={p.Mrn}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Empty(Ids(await (await client.GetAsync($"/fhir/Patient?identifier=urn:other|{p.Mrn}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Empty(Ids(await (await client.GetAsync($"/fhir/Patient?identifier=|{p.Mrn}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([p.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Patient?_id={p.Id}&gender=http://hl7.org/fhir/administrative-gender|female,male")).ExpectAsync(HttpStatusCode.OK)));
        var read = await client.GetAsync($"/fhir/Patient/{p.Id}");
        Assert.Equal("W/\"1\"", read.Headers.ETag?.ToString());
    }

    [Theory]
    [InlineData("1980-03-15", true)]
    [InlineData("1980-03", true)]
    [InlineData("1980", true)]
    [InlineData("eq1980-03-16", false)]
    [InlineData("ne1980-03-16", true)]
    [InlineData("ge1980-03-15", true)]
    [InlineData("gt1980-03-15", false)]
    [InlineData("gt1980-03-14", true)]
    [InlineData("le1980-03-15", true)]
    [InlineData("lt1980-03-15", false)]
    [InlineData("lt1980-03-16", true)]
    [InlineData("sa1980-02", true)]
    [InlineData("sa1980-03", false)]
    [InlineData("eb1980-04-01", true)]
    [InlineData("eb1980", false)]
    [InlineData("ap1980-03-10", true)]
    [InlineData("1980-03-15T10:00:00Z", false)]
    public async Task Birthdate_search_honours_precision_and_prefixes(string value, bool matches)
    {
        var tag = "Dateson" + Guid.NewGuid().ToString("N")[..6];
        var p = Patient(tag, "Dana", new DateOnly(1980, 3, 15));
        await ProjectAsync(app, p);
        using var client = await app.SystemClientAsync();
        var found = Ids(await (await client.GetAsync($"/fhir/Patient?family={tag}&birthdate={Uri.EscapeDataString(value)}")).ExpectAsync(HttpStatusCode.OK));
        Assert.Equal(matches, found.Contains(p.Id.ToString()));
    }

    [Fact]
    public async Task Search_pages_with_count_and_self_next_previous_links()
    {
        var tag = "Pager" + Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < 5; i++) await ProjectAsync(app, Patient(tag, $"P{i}", new DateOnly(1990, 1, 1 + i)));
        using var client = await app.SystemClientAsync();
        var first = await (await client.GetAsync($"/fhir/Patient?family={tag}&_count=2&unknown-param=1")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(5, Total(first));
        Assert.Equal(2, Ids(first).Count());
        var links = first.GetProperty("link").EnumerateArray().ToDictionary(l => l.GetProperty("relation").GetString()!, l => l.GetProperty("url").GetString()!);
        Assert.DoesNotContain("unknown-param", links["self"]);
        var seen = new HashSet<string>(Ids(first));
        var next = links["next"];
        while (true)
        {
            var page = await (await client.GetAsync(next)).ExpectAsync(HttpStatusCode.OK);
            foreach (var id in Ids(page)) Assert.True(seen.Add(id), "a resource appeared on two pages");
            var pl = page.GetProperty("link").EnumerateArray().ToDictionary(l => l.GetProperty("relation").GetString()!, l => l.GetProperty("url").GetString()!);
            Assert.True(pl.ContainsKey("previous"));
            if (!pl.TryGetValue("next", out var n)) break;
            next = n;
        }
        Assert.Equal(5, seen.Count);

        using var strict = new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient?family={tag}&unknown-param=1");
        strict.Headers.Add("Prefer", "handling=strict");
        AssertOutcome(await (await client.SendAsync(strict)).ExpectAsync(HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("O'Brien-\"Quote\"")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("Robert'); DROP TABLE students;--")]
    [InlineData("100% _wild_ \\card")]
    public async Task Names_with_quotes_script_or_sql_are_stored_exactly_and_found_by_search(string family)
    {
        using var client = await app.SystemClientAsync();
        var json = JsonSerializer.Serialize(new { resourceType = "Practitioner", name = new[] { new { family, given = new[] { "Odd" } } } });
        var created = await (await client.PostAsync("/fhir/Practitioner", Body(json))).ExpectAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var read = await (await client.GetAsync($"/fhir/Practitioner/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(family, read.GetProperty("name")[0].GetProperty("family").GetString());
        var found = await (await client.GetAsync($"/fhir/Practitioner?family={Uri.EscapeDataString(family)}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(id, Ids(found));
        var exact = await (await client.GetAsync($"/fhir/Practitioner?family:exact={Uri.EscapeDataString(family)}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([id], Ids(exact));
        var contains = await (await client.GetAsync($"/fhir/Practitioner?family:contains={Uri.EscapeDataString(family[2..])}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(id, Ids(contains));
    }

    [Fact]
    public async Task Coverage_is_found_by_patient_and_beneficiary_and_reads_are_audited_with_the_patient()
    {
        var p = Patient("Covered", "Cal", new DateOnly(1970, 1, 2));
        var coverage = Coverage(p.Id, "M-" + Guid.NewGuid().ToString("N")[..8]);
        await ProjectAsync(app, p, coverage);
        using var client = await app.SystemClientAsync();
        Assert.Equal([coverage.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Coverage?patient=Patient/{p.Id}")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([coverage.Id.ToString()], Ids(await (await client.GetAsync($"/fhir/Coverage?beneficiary={p.Id}")).ExpectAsync(HttpStatusCode.OK)));
        var read = await (await client.GetAsync($"/fhir/Coverage/{coverage.Id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal($"Patient/{p.Id}", read.GetProperty("beneficiary").GetProperty("reference").GetString());

        var events = await (await client.GetAsync($"/fhir/AuditEvent?patient=Patient/{p.Id}&subtype=Read&date=ge{DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}")).ExpectAsync(HttpStatusCode.OK);
        Assert.True(Total(events) >= 1);
        var ev = events.GetProperty("entry")[0].GetProperty("resource");
        Assert.Equal("AuditEvent", ev.GetProperty("resourceType").GetString());
        Assert.Equal("R", ev.GetProperty("action").GetString());
        Assert.Contains(ev.GetProperty("entity").EnumerateArray(), e => e.GetProperty("what").TryGetProperty("reference", out var r) && r.GetString() == $"Coverage/{coverage.Id}");
    }

    [Fact]
    public async Task Metadata_is_an_honest_capability_statement_with_the_smart_token_endpoint()
    {
        using var anonymous = app.AnonymousClient();
        var cs = await (await anonymous.GetAsync("/fhir/metadata")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("CapabilityStatement", cs.GetProperty("resourceType").GetString());
        Assert.Equal("4.0.1", cs.GetProperty("fhirVersion").GetString());
        var rest = cs.GetProperty("rest")[0];
        Assert.Contains("/oauth/token", rest.GetProperty("security").GetRawText());
        var patient = rest.GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Patient");
        var names = patient.GetProperty("searchParam").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        foreach (var n in new[] { "_id", "identifier", "family", "given", "name", "birthdate", "gender" }) Assert.Contains(n, names);
        Assert.DoesNotContain(patient.GetProperty("interaction").EnumerateArray(), i => i.GetProperty("code").GetString() == "delete");
    }
}

public sealed class FhirApiTests_Sqlite(SqliteApp app) : FhirApiTests<SqliteApp>(app);
public sealed class FhirApiTests_PostgreSql(PostgreSqlApp app) : FhirApiTests<PostgreSqlApp>(app);
