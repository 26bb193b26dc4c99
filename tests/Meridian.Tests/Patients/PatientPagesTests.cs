using System.Net;
using System.Text.RegularExpressions;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Patients;

/// <summary>
/// The patient screens through the real pipeline: cookie session, antiforgery, static server rendering, the same
/// handlers as the API, and a real database (both providers).
/// </summary>
public abstract partial class PatientPagesTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static Dictionary<string, string> RegistrationForm(string family, string given, DateOnly birthDate, string? phone = null) => new()
    {
        ["Model.Patient.Family"] = family,
        ["Model.Patient.Given"] = given,
        ["Model.Patient.BirthDate"] = birthDate.ToString("yyyy-MM-dd"),
        ["Model.Patient.Gender"] = "female",
        ["Model.Patient.BirthSex"] = "F",
        ["Model.Patient.RaceWhite"] = "true",
        ["Model.Patient.Ethnicity"] = "2186-5",
        ["Model.Patient.Language"] = "en",
        ["Model.Patient.Line1"] = "12 Elm Street",
        ["Model.Patient.City"] = "Springfield",
        ["Model.Patient.State"] = "IL",
        ["Model.Patient.PostalCode"] = "62701",
        ["Model.Patient.MobilePhone"] = phone ?? UniquePhone(),
        ["Model.Patient.Email"] = "pat@example.org",
        ["Model.Patient.AllowSms"] = "true",
        ["Model.Patient.GuarantorRelationship"] = "self",
        ["Model.Coverages[0].Rank"] = "1",
        ["Model.Coverages[0].PayerName"] = "Aetna",
        ["Model.Coverages[0].PlanName"] = "Choice POS II",
        ["Model.Coverages[0].MemberId"] = UniqueMemberId(),
        ["Model.Coverages[0].SubscriberRelationship"] = "self",
        ["Model.Coverages[0].EffectiveStart"] = "2025-01-01",
        ["Model.Coverages[1].Rank"] = "2",
        ["Model.Coverages[2].Rank"] = "3",
        ["Model.AllowPossibleDuplicate"] = "false",
    };

    private static string PatientIdFrom(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Expected a redirect to the chart, got {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");
        var match = Regex.Match(response.Headers.Location!.OriginalString, "/patients/([0-9a-fA-F-]{36})");
        Assert.True(match.Success, "Redirected to " + response.Headers.Location);
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task Registering_through_the_page_redirects_to_the_chart_which_shows_the_banner_and_coverage()
    {
        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var family = UniqueFamily("Pagewood");
        using var response = await client.PostFormAsync("/patients/register", "register-patient", RegistrationForm(family, "Alma", new DateOnly(1980, 3, 12)));
        var id = PatientIdFrom(response);

        var chart = await client.GetPageAsync($"/patients/{id}?tab=coverage");
        Assert.Contains($"Alma {family}", chart);
        Assert.Contains("03/12/1980", chart);
        Assert.Contains("Aetna", chart);
        Assert.Matches("M\\d{7}", chart);
        Assert.Equal(1, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));
    }

    [Fact]
    public async Task The_search_page_lists_patients_whose_family_name_starts_with_the_typed_prefix()
    {
        using var api = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily("Searchly");
        await RegisterAsync(api, Patient(family, "Josephine", UniqueBirthDate()), [Coverage(payer: "Cigna")]);
        await RegisterAsync(api, Patient(family, "Jonah", UniqueBirthDate(), gender: "male"));

        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var page = await client.GetPageAsync($"/patients?q={Uri.EscapeDataString(family[..^2].ToLowerInvariant() + " jo")}");
        Assert.Contains($"Josephine {family}", page);
        Assert.Contains($"Jonah {family}", page);
        Assert.Contains("Cigna", page);
        Assert.Contains("role=\"combobox\"", page);
        Assert.Contains("aria-controls=\"patient-q-listbox\"", page);

        // What typeahead.js fetches, with the same session cookie.
        using var suggestions = await client.GetAsync($"/api/patients/typeahead?q={Uri.EscapeDataString(family.ToLowerInvariant() + " jos")}");
        var json = await suggestions.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal($"Josephine {family}", Assert.Single(json.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());

        var advanced = await client.GetPageAsync($"/patients?advanced=1&family={family[..^3]}&given=josep");
        Assert.Contains($"Josephine {family}", advanced);
        Assert.DoesNotContain($"Jonah {family}", advanced);
    }

    [Fact]
    public async Task Posting_an_invalid_registration_returns_the_form_with_every_field_error_and_the_typed_values_and_stores_nothing()
    {
        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var family = UniqueFamily("Invalida");
        var form = RegistrationForm(family, "", DateTime.UtcNow.AddYears(1).Date is var future ? DateOnly.FromDateTime(future) : default);
        form["Model.Patient.MobilePhone"] = "call me maybe";
        form["Model.Patient.PostalCode"] = "ABCDE";
        form["Model.Coverages[0].MemberId"] = "";
        using var response = await client.PostFormAsync("/patients/register", "register-patient", form);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Please correct the following", html);
        foreach (var field in new[] { "f-Given", "f-BirthDate", "f-MobilePhone", "f-PostalCode", "f-Coverages-0-MemberId" })
            Assert.Matches($"class=\"form-(control|select) is-invalid\"[^>]*id=\"{field}\"", html);
        Assert.Contains("Date of birth must not be in the future.", html);
        // What the user typed is still there.
        Assert.Contains($"value=\"{family}\"", html);
        Assert.Contains("value=\"call me maybe\"", html);
        Assert.Equal(0, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));
    }
    [Fact]
    public async Task A_likely_duplicate_shows_the_existing_record_and_register_anyway_registers_with_the_same_data()
    {
        using var api = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily("Twinning");
        var birthDate = UniqueBirthDate();
        var existing = await RegisterAsync(api, Patient(family, "Marguerite", birthDate));
        var existingId = existing.GetProperty("id").GetString()!;
        var existingMrn = existing.GetProperty("mrn").GetString()!;

        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var form = RegistrationForm(family, "Marguerite", birthDate);
        using var warned = await client.PostFormAsync("/patients/register", "register-patient", form);
        var html = await warned.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, warned.StatusCode);
        Assert.Contains("This patient may already be registered", html);
        Assert.Contains(existingMrn, html);
        Assert.Contains("similar name and same date of birth", html);
        Assert.Contains($"href=\"/patients/{existingId}\"", html);
        Assert.Contains("Register anyway", html);
        Assert.Contains($"value=\"{form["Model.Coverages[0].MemberId"]}\"", html);
        Assert.Equal(1, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));

        form["Model.AllowPossibleDuplicate"] = "true";
        using var registered = await client.PostFormAsync("/patients/register", "register-patient", form);
        var id = PatientIdFrom(registered);
        Assert.NotEqual(existingId, id);
        Assert.Equal(2, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));
        var chart = await client.GetPageAsync($"/patients/{id}");
        Assert.Contains("Possible duplicate of " + existingMrn, chart);
    }

    [Fact]
    public async Task A_name_with_script_quotes_and_sql_is_stored_exactly_and_rendered_as_text_on_every_page()
    {
        const string hostile = "<script>alert('x')</script>\"; DROP TABLE patient;--";
        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var family = UniqueFamily("Oconnor");
        var form = RegistrationForm(family, hostile, UniqueBirthDate());
        using var response = await client.PostFormAsync("/patients/register", "register-patient", form);
        var id = PatientIdFrom(response);
        Assert.Equal(1, await CountRowsAsync(app, "patient", "given_names LIKE @g", ("@g", "%DROP TABLE patient;--%")));

        foreach (var url in new[] { $"/patients/{id}", $"/patients?q={family}", $"/patients/{id}/edit" })
        {
            var html = await client.GetPageAsync(url);
            Assert.DoesNotContain("<script>alert", html);
            Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;; DROP TABLE patient;--", html);
        }
    }

    [Fact]
    public async Task Saving_demographics_read_at_a_stale_version_shows_the_conflict_and_saves_nothing()
    {
        using var api = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily("Staleby");
        var created = await RegisterAsync(api, Patient(family, "Ines", UniqueBirthDate()));
        var id = created.GetProperty("id").GetString()!;
        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);

        var fields = RegistrationForm(family, "Ines", DateOnly.Parse(created.GetProperty("details").GetProperty("birthDate").GetString()!))
            .Where(kv => kv.Key.StartsWith("Model.Patient.", StringComparison.Ordinal)).ToDictionary();
        fields["Model.Version"] = "1";
        fields["Model.Patient.City"] = "Shelbyville";
        using var first = await client.PostFormAsync($"/patients/{id}/edit", "edit-patient", fields);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);

        fields["Model.Patient.City"] = "Capital City";
        using var second = await client.PostFormAsync($"/patients/{id}/edit", "edit-patient", fields);
        var html = await second.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("This record was changed by someone else", html);
        Assert.Contains($"href=\"/patients/{id}/edit\"", html);
        Assert.Contains("value=\"Capital City\"", html);

        using var read = await api.GetAsync($"/api/patients/{id}");
        var now = await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, now.GetProperty("version").GetInt32());
        Assert.Equal("Shelbyville", now.GetProperty("details").GetProperty("addresses")[0].GetProperty("city").GetString());
    }

    [Fact]
    public async Task Coverage_can_be_added_rejected_inline_when_invalid_and_ended_from_the_coverage_page()
    {
        using var api = await app.ClientForRoleAsync(Roles.FrontDesk);
        var created = await RegisterAsync(api, Patient(UniqueFamily("Coverly"), "Ned", UniqueBirthDate()), [Coverage(rank: 1, payer: "Aetna")]);
        var id = created.GetProperty("id").GetString()!;
        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var url = $"/patients/{id}/coverage";

        using var invalid = await client.PostFormAsync(url, "add-coverage", new Dictionary<string, string>
        {
            ["AddModel.Rank"] = "2", ["AddModel.PayerName"] = "", ["AddModel.MemberId"] = "X1", ["AddModel.SubscriberRelationship"] = "spouse",
            ["AddModel.EffectiveStart"] = "2025-06-01", ["AddModel.EffectiveEnd"] = "2025-01-01",
        });
        var html = await invalid.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        foreach (var field in new[] { "f-PayerName", "f-SubscriberFamily", "f-EffectiveEnd" })
            Assert.Matches($"class=\"form-(control|select) is-invalid\"[^>]*id=\"{field}\"", html);
        Assert.Equal(1, await CountRowsAsync(app, "coverage", "patient_id = @p", ("@p", PatientIdParameter(id))));

        using var taken = await client.PostFormAsync(url, "add-coverage", new Dictionary<string, string>
        {
            ["AddModel.Rank"] = "1", ["AddModel.PayerName"] = "Cigna", ["AddModel.MemberId"] = UniqueMemberId(), ["AddModel.SubscriberRelationship"] = "self",
        });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Contains("already has an active primary coverage", await taken.Content.ReadAsStringAsync());

        using var added = await client.PostFormAsync(url, "add-coverage", new Dictionary<string, string>
        {
            ["AddModel.Rank"] = "2", ["AddModel.PayerName"] = "Cigna", ["AddModel.MemberId"] = UniqueMemberId(), ["AddModel.SubscriberRelationship"] = "self",
        });
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.Equal(2, await CountRowsAsync(app, "coverage", "patient_id = @p AND active = @a", ("@p", PatientIdParameter(id)), ("@a", true)));

        var primary = created.GetProperty("coverages")[0].GetProperty("id").GetString()!;
        using var ended = await client.PostFormAsync(url, $"end-{primary}", new Dictionary<string, string> { ["Version"] = "1", ["EndDate"] = "" });
        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Equal(1, await CountRowsAsync(app, "coverage", "patient_id = @p AND active = @a", ("@p", PatientIdParameter(id)), ("@a", true)));
        var page = await client.GetPageAsync(url);
        Assert.Contains("Ended", page);
    }

    [Fact]
    public async Task Merging_by_mrn_after_review_marks_the_duplicate_and_the_history_shows_both_records()
    {
        using var api = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily("Mergeton");
        var survivor = await RegisterAsync(api, Patient(family, "Ada", UniqueBirthDate()));
        var duplicate = await RegisterAsync(api, Patient(family, "Adah", UniqueBirthDate()));
        var (sMrn, dMrn) = (survivor.GetProperty("mrn").GetString()!, duplicate.GetProperty("mrn").GetString()!);
        using var client = await PageClient.SignedInAsync(app, Roles.FrontDesk);
        var fields = new Dictionary<string, string> { ["Model.SurvivorMrn"] = sMrn, ["Model.MergedMrn"] = dMrn, ["Model.Reason"] = "Same person, verified ID", ["Model.Step"] = "review" };

        using var review = await client.PostFormAsync("/patients/merge", "merge-patients", fields);
        var html = await review.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        Assert.Contains($"Adah {family}", html);
        Assert.Contains("name=\"Model.MergedVersion\" value=\"1\"", html);

        fields["Model.Step"] = "merge";
        fields["Model.SurvivorVersion"] = "1";
        fields["Model.MergedVersion"] = "1";
        using var unconfirmed = await client.PostFormAsync("/patients/merge", "merge-patients", fields);
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);

        fields["Model.Confirm"] = "true";
        using var merged = await client.PostFormAsync("/patients/merge", "merge-patients", fields);
        Assert.Equal(HttpStatusCode.Redirect, merged.StatusCode);
        var history = await client.GetPageAsync(merged.Headers.Location!.OriginalString);
        Assert.Contains("Same person, verified ID", history);
        Assert.Contains($"Adah {family}", history);

        var chart = await client.GetPageAsync($"/patients/{duplicate.GetProperty("id").GetString()}");
        Assert.Contains("merged into another chart", chart);
        Assert.Contains($"href=\"/patients/{survivor.GetProperty("id").GetString()}\"", chart);
    }

    [Fact]
    public async Task The_patient_pages_send_an_anonymous_visitor_to_sign_in_and_keep_a_biller_out_of_registration()
    {
        using var anonymous = app.AnonymousClient();
        using var search = await anonymous.GetAsync("/patients");
        Assert.Equal(HttpStatusCode.Redirect, search.StatusCode);
        Assert.Contains("/login", search.Headers.Location!.OriginalString);

        using var biller = await PageClient.SignedInAsync(app, Roles.Biller);
        using var register = await biller.GetAsync("/patients/register");
        Assert.NotEqual(HttpStatusCode.OK, register.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await biller.GetAsync("/patients")).StatusCode);
    }

    private object PatientIdParameter(string id) => app.Provider == Meridian.SharedKernel.Data.DatabaseProvider.PostgreSql ? Guid.Parse(id) : id.ToUpperInvariant();
}

public sealed class PatientPagesTests_Sqlite(SqliteApp app) : PatientPagesTests<SqliteApp>(app);
public sealed class PatientPagesTests_PostgreSql(PostgreSqlApp app) : PatientPagesTests<PostgreSqlApp>(app);
