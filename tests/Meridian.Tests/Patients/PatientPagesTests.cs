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

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Please correct the following", html);
        foreach (var field in new[] { "f-Given", "f-BirthDate", "f-MobilePhone", "f-PostalCode", "f-Coverages-0-MemberId" })
            Assert.Matches($"class=\"form-(control|select) is-invalid\"[^>]*id=\"{field}\"", html);
        Assert.Contains("Date of birth must not be in the future.", html);
        // What the user typed is still there.
        Assert.Contains($"value=\"{family}\"", html);
        Assert.Contains("value=\"call me maybe\"", html);
        Assert.Equal(0, await CountRowsAsync(app, "patient", "family_name = @f", ("@f", family)));
    }
}

public sealed class PatientPagesTests_Sqlite(SqlitePagesApp app) : PatientPagesTests<SqlitePagesApp>(app);
public sealed class PatientPagesTests_PostgreSql(PostgreSqlPagesApp app) : PatientPagesTests<PostgreSqlPagesApp>(app);
