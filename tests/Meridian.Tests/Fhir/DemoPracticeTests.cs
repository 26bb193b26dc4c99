using System.Net;
using System.Text.Json;
using Meridian.Fhir.Demo;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Fhir;

/// <summary>A host started in demo mode (Meridian:Demo=true), as the README's run command starts it.</summary>
public sealed class DemoSqliteApp : SqliteApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Meridian:Demo"] = "true" };
}

public sealed class DemoPostgreSqlApp : PostgreSqlApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Meridian:Demo"] = "true" };
}

/// <summary>The demo practice's directory (issue section 9): one practice, two locations, its physicians and nurse.</summary>
public abstract class DemoPracticeTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static readonly string NodeDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fhir", "node");

    private static List<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("resource")).ToList() : [];

    private Task<HttpClient> DemoBackendAsync() =>
        // The demo's own backend client, as the README tells a demo user to use it.
        app.ClientWithTokenAsync("demo-backend", "demo-secret", "system/*.cruds");

    [Fact]
    public async Task Demo_mode_start_seeds_the_practice_its_two_locations_and_its_practitioners_found_by_search()
    {
        using var client = await DemoBackendAsync();

        var main = Assert.Single(Entries(await (await client.GetAsync("/fhir/Location?name=main%20street")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal("Main Street Clinic", main.GetProperty("name").GetString());
        Assert.Equal($"Organization/{DemoPracticeSeeder.OrganizationId}", main.GetProperty("managingOrganization").GetProperty("reference").GetString());
        Assert.Equal("Springfield", main.GetProperty("address").GetProperty("city").GetString());
        Assert.Equal("phone", main.GetProperty("telecom")[0].GetProperty("system").GetString());
        var riverside = Assert.Single(Entries(await (await client.GetAsync("/fhir/Location?name=Riverside")).ExpectAsync(HttpStatusCode.OK)));
        // StartsWith: the other test of the class renames it to show the seeder keeps a user's change.
        Assert.StartsWith("Riverside Office", riverside.GetProperty("name").GetString());
        Assert.Equal($"Organization/{DemoPracticeSeeder.OrganizationId}", riverside.GetProperty("managingOrganization").GetProperty("reference").GetString());
        Assert.Equal(2, Entries(await (await client.GetAsync("/fhir/Location")).ExpectAsync(HttpStatusCode.OK)).Count);

        var practice = Assert.Single(Entries(await (await client.GetAsync("/fhir/Organization?identifier=http://hl7.org/fhir/sid/us-npi|1134567894")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(DemoPracticeSeeder.OrganizationId, practice.GetProperty("id").GetString());
        Assert.Contains(practice.GetProperty("identifier").EnumerateArray(), i => i.GetProperty("system").GetString() == "urn:oid:2.16.840.1.113883.4.4");
        Assert.Equal("62701", practice.GetProperty("address")[0].GetProperty("postalCode").GetString());

        var raman = Assert.Single(Entries(await (await client.GetAsync("/fhir/Practitioner?family=raman&given=priya")).ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal("http://hl7.org/fhir/sid/us-npi", raman.GetProperty("identifier")[0].GetProperty("system").GetString());
        Assert.Single(Entries(await (await client.GetAsync("/fhir/Practitioner?name=okafor")).ExpectAsync(HttpStatusCode.OK)));
        var all = Entries(await (await client.GetAsync("/fhir/Practitioner?_count=50")).ExpectAsync(HttpStatusCode.OK));
        Assert.Equal(DemoPracticeSeeder.Practitioners.Count, all.Count);
        Assert.True(all.Count >= 5);
        foreach (var p in all)
        {
            var npi = p.GetProperty("identifier").EnumerateArray().Single(i => i.GetProperty("system").GetString() == "http://hl7.org/fhir/sid/us-npi").GetProperty("value").GetString()!;
            Assert.True(NpiCheckDigitIsValid(npi), $"{npi} fails the NPI check digit");
            Assert.Equal("1", p.GetProperty("meta").GetProperty("versionId").GetString());
        }
        Assert.True(NpiCheckDigitIsValid("1134567894"));

        // The seed run is audited once, not once per resource.
        Assert.Single(await AuditAsync(app, "Create", "Organization"), a => a.Detail?.StartsWith("Demo data: seeded the practice directory", StringComparison.Ordinal) == true);

        if (!NodeTools.EnsureInstalled(NodeDir, output)) return;
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(all.Append(main).Append(riverside).Append(practice)));
        var (code, stdout, stderr) = await NodeTools.RunAsync(NodeDir, "node", $"validate.mjs \"{file}\"");
        File.Delete(file);
        Assert.True(code == 0, stderr);
        foreach (var r in JsonDocument.Parse(stdout).RootElement.EnumerateArray())
            Assert.True(r.GetProperty("errors").GetArrayLength() == 0, $"{r.GetProperty("resource")}: {r.GetProperty("errors")}");
    }

    [Fact]
    public async Task Seeding_the_practice_again_adds_nothing_and_keeps_what_a_user_changed()
    {
        using var client = await DemoBackendAsync();
        var id = DemoPracticeSeeder.RiversideId;
        var current = await (await client.GetAsync($"/fhir/Location/{id}")).ExpectAsync(HttpStatusCode.OK);
        var edited = current.GetRawText().Replace("Riverside Office", "Riverside Office (East Wing)");
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Location/{id}") { Content = FhirTestData.Body(edited) };
        var version = current.GetProperty("meta").GetProperty("versionId").GetString();
        FhirTestData.IfMatch(put, $"W/\"{version}\"");
        await (await client.SendAsync(put)).ExpectAsync(HttpStatusCode.OK);

        var added = await app.WithScopeAsync(sp => sp.GetRequiredService<DemoPracticeSeeder>().SeedMissingAsync(default));
        Assert.Equal(0, added);
        var after = await (await client.GetAsync($"/fhir/Location/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Riverside Office (East Wing)", after.GetProperty("name").GetString());
        Assert.Equal(2, Entries(await (await client.GetAsync("/fhir/Location")).ExpectAsync(HttpStatusCode.OK)).Count);
        Assert.Single(await AuditAsync(app, "Create", "Organization"), a => a.Detail?.StartsWith("Demo data: seeded the practice directory", StringComparison.Ordinal) == true);
    }

    /// <summary>CMS NPI standard: Luhn over the digits prefixed with 80840.</summary>
    private static bool NpiCheckDigitIsValid(string npi)
    {
        if (npi.Length != 10 || !npi.All(char.IsAsciiDigit)) return false;
        var digits = ("80840" + npi[..9]).Select(c => c - '0').Reverse().ToList();
        var sum = digits.Select((d, i) => i % 2 == 0 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d).Sum();
        return (10 - sum % 10) % 10 == npi[9] - '0';
    }
}

public sealed class DemoPracticeTests_Sqlite(DemoSqliteApp app, ITestOutputHelper output) : DemoPracticeTests<DemoSqliteApp>(app, output);
public sealed class DemoPracticeTests_PostgreSql(DemoPostgreSqlApp app, ITestOutputHelper output) : DemoPracticeTests<DemoPostgreSqlApp>(app, output);
