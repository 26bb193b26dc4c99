using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Patients;

public abstract class PatientRegistrationTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    [Fact]
    public async Task Registering_a_patient_with_coverage_returns_201_with_a_system_MRN_and_audits_it_in_the_same_work()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily();
        var patient = await RegisterAsync(client, Patient(family, "Ann", UniqueBirthDate()), [Coverage(1), Coverage(2, payer: "Cigna")]);

        var id = patient.GetProperty("id").GetString()!;
        Assert.Matches("^M[0-9]{7}$", patient.GetProperty("mrn").GetString());
        Assert.Equal(1, patient.GetProperty("version").GetInt32());
        Assert.Equal(2, patient.GetProperty("coverages").GetArrayLength());
        Assert.Equal(family, patient.GetProperty("details").GetProperty("legalName").GetProperty("family").GetString());

        var audit = await AuditForPatientAsync(app, id);
        Assert.Contains(audit, a => a.Action == "Create" && a.ResourceType == "Patient" && a.ResourceId == id && a.Role == Roles.FrontDesk);
        Assert.Equal(2, audit.Count(a => a.Action == "Create" && a.ResourceType == "Coverage"));
    }

    [Fact]
    public async Task Reading_a_patient_returns_the_record_with_an_ETag_and_is_audited_with_the_patient_id()
    {
        using var client = await app.ClientForRoleAsync(Roles.Nurse);
        var id = (await RegisterAsync(client, Patient(UniqueFamily(), "Bea", UniqueBirthDate()))).GetProperty("id").GetString()!;

        using var response = await client.GetAsync($"/api/patients/{id}");
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.Contains(await AuditForPatientAsync(app, id), a => a.Action == "Read" && a.ResourceId == id);
    }

    [Fact]
    public async Task MRNs_stay_unique_when_many_patients_register_at_once()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily();
        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            RegisterAsync(client, Patient(family + (char)('a' + i), "Cy", UniqueBirthDate()))));
        var mrns = created.Select(p => p.GetProperty("mrn").GetString()).ToList();
        Assert.Equal(mrns.Count, mrns.Distinct().Count());
    }

    public static TheoryData<string, string> InvalidValues => new()
    {
        { "birthDate", "future" },
        { "birthDate", "1899-12-31" },
        { "gender", "robot" },
        { "legalName.family", "oversized" },
        { "legalName.family", "missing" },
        { "telecom", "bad-email" },
        { "telecom", "bad-phone" },
        { "birthSex", "X" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task Registering_with_an_invalid_value_returns_400_naming_the_field_and_stores_nothing(string field, string kind)
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily();
        var patient = Patient(family, "Dee", UniqueBirthDate());
        switch (kind)
        {
            case "future": patient["birthDate"] = DateTime.UtcNow.AddDays(3).ToString("yyyy-MM-dd"); break;
            case "1899-12-31": patient["birthDate"] = "1899-12-31"; break;
            case "robot": patient["gender"] = "robot"; break;
            case "oversized": patient["legalName"] = new { family = family + new string('x', 300), given = new[] { "Dee" } }; break;
            case "missing": patient["legalName"] = new { given = new[] { "Dee" } }; break;
            case "bad-email": patient["telecom"] = new[] { new { system = "email", value = "not an email" } }; break;
            case "bad-phone": patient["telecom"] = new[] { new { system = "phone", value = "call me maybe" } }; break;
            case "X": patient["birthSex"] = "X"; break;
        }
        using var response = await client.PostJsonAsync("/api/patients", Register(patient));
        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors");
        Assert.Contains(errors.EnumerateObject(), e => e.Name.StartsWith("patient." + field, StringComparison.Ordinal));
        Assert.Equal(0, await CountRowsAsync(app, "patient", "family_name LIKE @f", ("@f", family + "%")));
    }

    [Fact]
    public async Task Registering_with_an_impossible_calendar_date_returns_400()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var patient = Patient(UniqueFamily(), "Eve", UniqueBirthDate());
        patient["birthDate"] = "1980-02-30";
        using var response = await client.PostJsonAsync("/api/patients", Register(patient));
        await response.ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_JSON_returns_400_ProblemDetails()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        using var response = await client.PostAsync("/api/patients",
            new StringContent("{\"patient\": {\"legalName\": {\"family\": \"Unclosed", Encoding.UTF8, "application/json"));
        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal(400, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Coverage_ranks_must_be_unique_and_the_effective_end_not_before_the_start()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily();
        using var sameRank = await client.PostJsonAsync("/api/patients", Register(Patient(family, "Flo", UniqueBirthDate()), [Coverage(1), Coverage(1)]));
        var body = await sameRank.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(body.GetProperty("errors").TryGetProperty("coverages", out _));

        using var backwards = await client.PostJsonAsync("/api/patients",
            Register(Patient(family, "Flo", UniqueBirthDate()), [Coverage(1, start: "2025-06-01", end: "2025-01-01")]));
        body = await backwards.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(body.GetProperty("errors").TryGetProperty("coverages[0].effectiveEnd", out _));

        using var rank4 = await client.PostJsonAsync("/api/patients", Register(Patient(family, "Flo", UniqueBirthDate()), [Coverage(4)]));
        await rank4.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));
    }

    [Fact]
    public async Task A_similar_name_with_the_same_birth_date_is_flagged_as_a_possible_duplicate_until_the_user_registers_anyway()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily("Smith");
        var birth = UniqueBirthDate();
        var first = await RegisterAsync(client, Patient(family, "Jonathan", birth));

        // "Jon" is a prefix of "Jonathan": same person typed differently.
        using var duplicate = await client.PostJsonAsync("/api/patients", Register(Patient(family.ToUpperInvariant(), "Jon", birth)));
        var problem = await duplicate.ExpectAsync(HttpStatusCode.Conflict);
        var candidate = Assert.Single(problem.GetProperty("candidates").EnumerateArray());
        Assert.Equal(first.GetProperty("id").GetString(), candidate.GetProperty("id").GetString());
        Assert.Equal(first.GetProperty("mrn").GetString(), candidate.GetProperty("mrn").GetString());
        Assert.Contains("similar name", candidate.GetProperty("reason").GetString());
        Assert.Equal(1, await CountRowsAsync(app, "patient", "family_norm = @f", ("@f", family.ToLowerInvariant())));

        var second = await RegisterAsync(client, Patient(family, "Jon", birth), allowDuplicate: true);
        using var header = await client.GetAsync($"/api/patients/{second.GetProperty("id").GetString()}/header");
        var alerts = (await header.ExpectAsync(HttpStatusCode.OK)).GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("code").GetString()).ToList();
        Assert.Contains("possible-duplicate", alerts);
    }

    [Fact]
    public async Task A_sound_alike_name_with_the_same_birth_date_is_a_possible_duplicate_but_a_different_birth_date_is_not()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var stem = UniqueFamily("Qx");
        var birth = UniqueBirthDate();
        await RegisterAsync(client, Patient(stem + "son", "Catherine", birth));
        using var soundAlike = await client.PostJsonAsync("/api/patients", Register(Patient(stem + "sen", "Katherine", birth)));
        await soundAlike.ExpectAsync(HttpStatusCode.Conflict);
        await RegisterAsync(client, Patient(stem + "sen", "Katherine", birth.AddDays(1)));
    }

    [Fact]
    public async Task The_same_phone_or_the_same_member_id_is_a_possible_duplicate()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var phone = UniquePhone();
        var member = UniqueMemberId();
        await RegisterAsync(client, Patient(UniqueFamily(), "Gus", UniqueBirthDate(), phone: phone), [Coverage(1, memberId: member)]);

        // The same number written differently still matches (digits compared).
        var samePhone = Patient(UniqueFamily(), "Hal", UniqueBirthDate(), phone: "+1 " + phone.Replace("(", "").Replace(")", "").Replace("-", " "));
        using var byPhone = await client.PostJsonAsync("/api/patients", Register(samePhone));
        var problem = await byPhone.ExpectAsync(HttpStatusCode.Conflict);
        Assert.Contains("phone", problem.GetProperty("candidates")[0].GetProperty("reason").GetString());

        using var byMember = await client.PostJsonAsync("/api/patients",
            Register(Patient(UniqueFamily(), "Ida", UniqueBirthDate()), [Coverage(1, memberId: member.ToLowerInvariant())]));
        problem = await byMember.ExpectAsync(HttpStatusCode.Conflict);
        Assert.Contains("member id", problem.GetProperty("candidates")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Names_with_quotes_markup_and_SQL_are_stored_exactly_and_found()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var suffix = UniqueFamily("");
        var family = $"O'Brien-{suffix}\"; DROP TABLE patients_patient; --";
        var given = "<script>alert('x')</script>";
        var created = await RegisterAsync(client, Patient(family, given, UniqueBirthDate()));
        var id = created.GetProperty("id").GetString()!;

        using var read = await client.GetAsync($"/api/patients/{id}");
        var name = (await read.ExpectAsync(HttpStatusCode.OK)).GetProperty("details").GetProperty("legalName");
        Assert.Equal(family, name.GetProperty("family").GetString());
        Assert.Equal(given, name.GetProperty("given")[0].GetString());

        using var search = await client.GetAsync($"/api/patients?family={Uri.EscapeDataString($"O'Brien-{suffix}\"; DROP")}");
        var items = (await search.ExpectAsync(HttpStatusCode.OK)).GetProperty("items");
        Assert.Contains(items.EnumerateArray(), i => i.GetProperty("id").GetString() == id && i.GetProperty("family").GetString() == family);

        using var byGiven = await client.GetAsync($"/api/patients?given={Uri.EscapeDataString("<script>alert('x')")}&family={Uri.EscapeDataString("o'brien-" + suffix)}");
        Assert.Contains((await byGiven.ExpectAsync(HttpStatusCode.OK)).GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_biller_can_read_but_not_register_or_merge_and_a_request_without_a_token_is_refused()
    {
        using var biller = await app.ClientForRoleAsync(Roles.Biller);
        using var register = await biller.PostJsonAsync("/api/patients", Register(Patient(UniqueFamily(), "Jo", UniqueBirthDate())));
        await register.ExpectAsync(HttpStatusCode.Forbidden);
        using var merge = await biller.PostJsonAsync("/api/patients/merge", new { survivorId = Guid.NewGuid(), mergedId = Guid.NewGuid(), reason = "x" });
        await merge.ExpectAsync(HttpStatusCode.Forbidden);
        using var search = await biller.GetAsync("/api/patients?family=a");
        await search.ExpectAsync(HttpStatusCode.OK);

        using var anonymous = app.AnonymousClient();
        using var refused = await anonymous.GetAsync("/api/patients?family=a");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}

public sealed class PatientRegistrationTests_Sqlite(SqliteApp app) : PatientRegistrationTests<SqliteApp>(app);
public sealed class PatientRegistrationTests_PostgreSql(PostgreSqlApp app) : PatientRegistrationTests<PostgreSqlApp>(app);
