using System.Net;
using System.Text.Json;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Patients;

public abstract class PatientSearchTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static List<string> Ids(JsonElement body, string list = "items") =>
        body.GetProperty(list).EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task Patients_are_found_by_name_prefix_ignoring_case_and_accents_and_by_each_exact_key()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var stem = UniqueFamily("Gárcia");               // accented: searches type it without the accent
        var birth = UniqueBirthDate();
        var phone = UniquePhone();
        var member = UniqueMemberId();
        var p = await RegisterAsync(client, Patient(stem, "Renée", birth, phone: phone), [Coverage(1, memberId: member)]);
        var id = p.GetProperty("id").GetString()!;
        var mrn = p.GetProperty("mrn").GetString()!;
        var plain = stem.Replace("á", "a").ToLowerInvariant();

        foreach (var query in new[]
                 {
                     $"family={plain[..8]}", $"family={stem.ToUpperInvariant()}", $"given=rene&family={plain}", $"name={plain}",
                     $"name=renee%20{plain[..7]}", $"birthDate={birth:yyyy-MM-dd}", $"mrn={mrn.ToLowerInvariant()}",
                     $"phone={Uri.EscapeDataString(phone)}", $"phone=1{new string(phone.Where(char.IsDigit).ToArray())}",
                     $"memberId={member.ToLowerInvariant()}",
                 })
        {
            using var response = await client.GetAsync("/api/patients?" + query);
            var body = await response.ExpectAsync(HttpStatusCode.OK);
            Assert.True(Ids(body).Contains(id), $"Not found by {query}: {body}");
        }

        using var miss = await client.GetAsync($"/api/patients?family={plain}&birthDate={birth.AddDays(1):yyyy-MM-dd}");
        Assert.DoesNotContain(id, Ids(await miss.ExpectAsync(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Search_pages_in_name_order_and_says_when_there_is_more()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var stem = UniqueFamily("Page");
        foreach (var (suffix, given) in new[] { ("c", "Ann"), ("a", "Zed"), ("b", "Max"), ("a", "Amy"), ("d", "Bo") })
            await RegisterAsync(client, Patient(stem + suffix, given, UniqueBirthDate()));

        using var first = await client.GetAsync($"/api/patients?name={stem}&count=3");
        var page1 = await first.ExpectAsync(HttpStatusCode.OK);
        Assert.True(page1.GetProperty("hasMore").GetBoolean());
        using var second = await client.GetAsync($"/api/patients?name={stem}&count=3&offset=3");
        var page2 = await second.ExpectAsync(HttpStatusCode.OK);
        Assert.False(page2.GetProperty("hasMore").GetBoolean());
        var names = page1.GetProperty("items").EnumerateArray().Concat(page2.GetProperty("items").EnumerateArray())
            .Select(i => i.GetProperty("name").GetString()).ToList();
        Assert.Equal([$"Amy {stem}a", $"Zed {stem}a", $"Max {stem}b", $"Ann {stem}c", $"Bo {stem}d"], names);
    }

    [Fact]
    public async Task A_search_is_audited_once_with_its_query()
    {
        using var client = await app.ClientForRoleAsync(Roles.Physician);
        var marker = UniqueFamily("Audit");
        using var response = await client.GetAsync($"/api/patients?family={marker}&birthDate=1970-01-01");
        await response.ExpectAsync(HttpStatusCode.OK);
        var entries = (await AuditAsync(app, "Search")).Where(a => a.Detail?.Contains(marker, StringComparison.Ordinal) == true).ToList();
        var entry = Assert.Single(entries);
        Assert.Contains("birthDate=1970-01-01", entry.Detail);
        Assert.Equal(Roles.Physician, entry.Role);
    }

    [Fact]
    public async Task Search_rejects_bad_parameters_with_400()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        foreach (var query in new[] { "birthDate=12/03/1980", "count=0", "count=1000", "offset=-1", "count=abc", "phone=12" })
        {
            using var response = await client.GetAsync("/api/patients?" + query);
            await response.ExpectAsync(HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task Typeahead_understands_family_given_prefixes_dates_MRNs_and_phones()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily("Smi");
        var birth = UniqueBirthDate();
        var phone = UniquePhone();
        var p = await RegisterAsync(client, Patient(family, "Johanna", birth, phone: phone));
        var id = p.GetProperty("id").GetString()!;
        var mrn = p.GetProperty("mrn").GetString()!;

        foreach (var (q, interpretation) in new[]
                 {
                     ($"{family[..6]} jo", "family and given name"),
                     ($"jo {family[..6]}", "family and given name"),
                     ($"{family}, joh", "family, given"),
                     (birth.ToString("MM/dd/yyyy"), "date of birth"),
                     ($"{family[..5]} {birth:MM/dd/yyyy}", "date of birth + name"),
                     (mrn, "MRN"),
                     (phone[..9], "phone"),
                 })
        {
            using var response = await client.GetAsync($"/api/patients/typeahead?q={Uri.EscapeDataString(q)}");
            var body = await response.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(interpretation, body.GetProperty("interpretation").GetString());
            var items = body.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count <= 10);
            var hit = items.FirstOrDefault(i => i.GetProperty("id").GetString() == id);
            Assert.True(hit.ValueKind == JsonValueKind.Object, $"'{q}' did not find the patient: {body}");
            Assert.Equal(mrn, hit.GetProperty("mrn").GetString());
            Assert.Equal(birth.ToString("yyyy-MM-dd"), hit.GetProperty("birthDate").GetString());
        }

        using var tooShort = await client.GetAsync("/api/patients/typeahead?q=s");
        await tooShort.ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Typeahead_finds_a_hyphenated_family_name_with_an_apostrophe_by_a_prefix_typed_across_the_hyphen()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = "O'Hanlon-" + UniqueFamily("K");
        var p = await RegisterAsync(client, Patient(family, "Siobhan", UniqueBirthDate()));
        var id = p.GetProperty("id").GetString()!;

        foreach (var q in new[] { family[..^2], family.ToLowerInvariant(), family.Replace("'", "", StringComparison.Ordinal)[..^3] })
        {
            using var response = await client.GetAsync($"/api/patients/typeahead?q={Uri.EscapeDataString(q)}");
            var body = await response.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal("name", body.GetProperty("interpretation").GetString());
            Assert.True(Ids(body).Contains(id), $"'{q}' did not find {family}: {body}");
        }
    }
}

public sealed class PatientSearchTests_Sqlite(SqliteApp app) : PatientSearchTests<SqliteApp>(app);
public sealed class PatientSearchTests_PostgreSql(PostgreSqlApp app) : PatientSearchTests<PostgreSqlApp>(app);
