using System.Text.RegularExpressions;
using Meridian.BrowserTests.Infrastructure;
using Meridian.SharedKernel.Security;
using Microsoft.Playwright;

namespace Meridian.BrowserTests.Flows;

/// <summary>
/// Issue section 7: the front desk signs in, registers a patient with insurance, finds the patient by typing part of the
/// name; an administrator then sees that registration and the search in the audit report.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class FrontDeskPatientFlowTests(MeridianSite site)
{
    private const string FrontDeskEmail = "frontdesk@demo.meridian.test";

    [Fact]
    public async Task The_front_desk_registers_a_patient_with_insurance_finds_them_by_typeahead_and_the_administrator_sees_both_in_the_audit_report()
    {
        // Section 8: a quote in a name is ordinary data; letters only after it so the name is unique in this run's database.
        var family = "O'Hanlon-" + UniqueLetters();
        var memberId = "XQ" + Random.Shared.Next(10_000_000, 99_999_999);

        // 1. Register with insurance; the chart banner shows the name, the MRN and the primary coverage.
        var desk = await SignInFrontDeskAsync();
        await desk.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Register", Exact = true }).ClickAsync();
        await Assertions.Expect(desk.GetByRole(AriaRole.Heading, new() { Name = "Register a patient" })).ToBeVisibleAsync();
        await FillPatientAsync(desk, family, "Siobhán", "1984-07-02");
        var contact = desk.GetByRole(AriaRole.Group, new() { Name = "Address and contact" });
        await contact.GetByLabel("Street address").FillAsync("12 Wharf St");
        await contact.GetByLabel("City").FillAsync("Springfield");
        await contact.GetByLabel("State").FillAsync("IL");
        await contact.GetByLabel("ZIP code").FillAsync("62704");
        await contact.GetByLabel("Mobile phone").FillAsync("(217) 555-0142");
        var insurance = desk.Locator(".card").Filter(new() { Has = desk.GetByText("Insurance 1", new() { Exact = true }) });
        await Assertions.Expect(insurance.GetByLabel("Rank")).ToHaveValueAsync("1");
        await insurance.GetByRole(AriaRole.Textbox, new() { Name = "Payer", Exact = true }).FillAsync("Blue Prairie Health");
        await insurance.GetByLabel("Member id").FillAsync(memberId);
        await insurance.GetByLabel("Patient is the subscriber's").SelectOptionAsync("self");
        await MeridianSite.ScreenshotAsync(desk, "register-filled");
        await desk.GetByRole(AriaRole.Button, new() { Name = "Register", Exact = true }).ClickAsync();

        await desk.WaitForURLAsync(ChartUrl());
        var patientId = ChartUrl().Match(desk.Url).Groups[1].Value;
        var banner = desk.GetByRole(AriaRole.Region, new() { Name = "Patient banner" });
        await Assertions.Expect(banner.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Siobhán {family}");
        var mrn = await desk.GetByRole(AriaRole.Status).Filter(new() { HasText = "Registered." }).Locator("strong").InnerTextAsync();
        Assert.Matches("^M[0-9]+$", mrn);
        await Assertions.Expect(banner).ToContainTextAsync("MRN " + mrn);
        await Assertions.Expect(banner).ToContainTextAsync("DOB 07/02/1984");
        await Assertions.Expect(banner).ToContainTextAsync($"primary Blue Prairie Health · {memberId}");
        await MeridianSite.ScreenshotAsync(desk, "chart-registered");
        await desk.GetByRole(AriaRole.Link, new() { Name = "Coverage", Exact = true }).ClickAsync();
        var coverage = desk.Locator("#coverage-table tbody tr");
        await Assertions.Expect(coverage).ToHaveCountAsync(1);
        await Assertions.Expect(coverage).ToContainTextAsync("1 – primary");
        await Assertions.Expect(coverage).ToContainTextAsync(memberId);
        await Assertions.Expect(coverage).ToContainTextAsync("Self");
        await Assertions.Expect(coverage).ToContainTextAsync("Active");
        await MeridianSite.ScreenshotAsync(desk, "chart-coverage-tab");
        await desk.GetByRole(AriaRole.Link, new() { Name = "Edit coverage" }).ClickAsync();
        await Assertions.Expect(desk.Locator("#coverage-table")).ToContainTextAsync("Blue Prairie Health");
        await MeridianSite.ScreenshotAsync(desk, "coverage-edit");

        // 2. Type part of the name into the one box; the listbox offers the patient; ArrowDown + Enter opens the chart.
        await desk.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Patients", Exact = true }).ClickAsync();
        var box = desk.GetByRole(AriaRole.Combobox, new() { Name = "Name, date of birth, MRN, phone or member id" });
        await box.PressSequentiallyAsync(family[..^2].ToLowerInvariant());
        var listbox = desk.GetByRole(AriaRole.Listbox, new() { Name = "Matching patients" });
        await Assertions.Expect(listbox).ToBeVisibleAsync();
        await Assertions.Expect(box).ToHaveAttributeAsync("aria-expanded", "true");
        var options = listbox.GetByRole(AriaRole.Option);
        await Assertions.Expect(options).ToHaveCountAsync(1);
        await Assertions.Expect(options.First).ToContainTextAsync($"Siobhán {family}");
        await Assertions.Expect(options.First).ToContainTextAsync(mrn);
        await box.PressAsync("ArrowDown");
        await Assertions.Expect(options.First).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(box).ToHaveAttributeAsync("aria-activedescendant", (await options.First.GetAttributeAsync("id"))!);
        await MeridianSite.ScreenshotAsync(desk, "search-typeahead");
        await box.PressAsync("Enter");
        await desk.WaitForURLAsync($"**/patients/{patientId}");
        await Assertions.Expect(desk.GetByRole(AriaRole.Region, new() { Name = "Patient banner" })).ToContainTextAsync("MRN " + mrn);

        // Without script the same box is a plain GET form that shows a results table.
        var plain = await SignInFrontDeskAsync(javaScript: false);
        await plain.GotoAsync("/patients");
        await plain.GetByRole(AriaRole.Combobox, new() { Name = "Name, date of birth, MRN, phone or member id" }).FillAsync(family);
        await plain.GetByRole(AriaRole.Search).GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var results = plain.Locator("#search-results tbody tr");
        await Assertions.Expect(results).ToHaveCountAsync(1);
        await Assertions.Expect(results.First).ToContainTextAsync(mrn);
        await Assertions.Expect(results.First).ToContainTextAsync("Blue Prairie Health");
        await MeridianSite.ScreenshotAsync(plain, "search-results-no-script");
        await results.First.GetByRole(AriaRole.Link, new() { Name = $"Siobhán {family}" }).ClickAsync();
        await plain.WaitForURLAsync($"**/patients/{patientId}");
        await plain.Context.CloseAsync();

        await desk.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(desk.GetByText("You are signed out.")).ToBeVisibleAsync();
        await desk.Context.CloseAsync();

        // 3. The administrator (with MFA) sees the registration and the search in the audit report; the chain is intact.
        var admin = await site.NewPageAsync();
        await StaffSteps.SignInAsAdministratorAsync(site, admin);
        await admin.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Audit report" })).ToBeVisibleAsync();
        await admin.GetByLabel("Patient id").FillAsync(patientId);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var rows = admin.Locator("#audit-table tbody tr");
        var created = rows.Filter(new() { HasText = $"Patient/{patientId}" }).Filter(new() { HasText = "Create" });
        await Assertions.Expect(created).ToHaveCountAsync(1);
        await Assertions.Expect(created).ToContainTextAsync(FrontDeskEmail);
        await Assertions.Expect(created).ToContainTextAsync(Roles.FrontDesk);
        await Assertions.Expect(rows.Filter(new() { HasText = "Coverage/" }).Filter(new() { HasText = "Create" })).ToContainTextAsync("Blue Prairie Health");
        await Assertions.Expect(rows.Filter(new() { HasNotText = patientId })).ToHaveCountAsync(0);
        await MeridianSite.ScreenshotAsync(admin, "audit-patient");

        await admin.GetByLabel("Patient id").FillAsync("");
        await admin.GetByLabel("User or client").FillAsync(FrontDeskEmail);
        await admin.GetByLabel("Action").SelectOptionAsync("Search");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(rows.Filter(new() { HasNotText = "Search" })).ToHaveCountAsync(0);
        await Assertions.Expect(rows.Filter(new() { HasNotText = FrontDeskEmail })).ToHaveCountAsync(0);
        // The typeahead's request, by the front desk, for what was typed (the apostrophe shown as text).
        await Assertions.Expect(rows.Filter(new() { HasText = "typeahead q=" + family[..^2].ToLowerInvariant() }).First).ToBeVisibleAsync();

        await admin.GetByRole(AriaRole.Button, new() { Name = "Verify chain" }).ClickAsync();
        await Assertions.Expect(admin.Locator("#verify-result")).ToContainTextAsync("Audit trail intact");
        await MeridianSite.ScreenshotAsync(admin, "audit-search");
    }

    [Fact]
    public async Task Registering_with_a_future_date_of_birth_shows_the_field_error_and_creates_no_patient()
    {
        var family = "O'Hanlon-" + UniqueLetters();
        var future = DateTime.Now.AddDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var page = await SignInFrontDeskAsync();
        await page.GotoAsync("/patients/register");
        await FillPatientAsync(page, family, "Future", future);
        var birthDate = page.GetByRole(AriaRole.Group, new() { Name = "Name and birth" }).GetByLabel("Date of birth");
        var register = page.GetByRole(AriaRole.Button, new() { Name = "Register", Exact = true });

        // The browser's own check first (max = today): the form is not sent.
        await register.ClickAsync();
        Assert.True(await birthDate.EvaluateAsync<bool>("e => e.validity.rangeOverflow"));
        Assert.EndsWith("/patients/register", new Uri(page.Url).AbsolutePath);

        // The server's check, as a browser that ignores max would reach it: the field error inline and in the summary.
        await page.Locator("#register-form").EvaluateAsync("f => f.noValidate = true");
        var response = await page.RunAndWaitForResponseAsync(() => register.ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.EndsWith("/patients/register", StringComparison.Ordinal));
        Assert.Equal(400, response.Status);
        await Assertions.Expect(birthDate).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(birthDate).ToHaveClassAsync(new Regex(@"\bis-invalid\b"));
        await Assertions.Expect(page.Locator("#f-BirthDate-error")).ToHaveTextAsync("Date of birth must not be in the future.");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Date of birth must not be in the future.");
        // What was typed is kept, apostrophe included.
        await Assertions.Expect(page.GetByRole(AriaRole.Group, new() { Name = "Name and birth" }).GetByRole(AriaRole.Textbox, new() { Name = "Family name", Exact = true })).ToHaveValueAsync(family);
        await MeridianSite.ScreenshotAsync(page, "register-future-birth-date");

        // Nothing was stored: the typeahead says so (a disabled option), and Enter with nothing highlighted runs the full search.
        await page.GotoAsync("/patients");
        var box = page.GetByRole(AriaRole.Combobox, new() { Name = "Name, date of birth, MRN, phone or member id" });
        await box.PressSequentiallyAsync(family);
        var none = page.GetByRole(AriaRole.Listbox, new() { Name = "Matching patients" }).GetByRole(AriaRole.Option);
        await Assertions.Expect(none).ToHaveTextAsync("No matching patients. Press Enter to search.");
        await Assertions.Expect(none).ToHaveAttributeAsync("aria-disabled", "true");
        await box.PressAsync("ArrowDown");
        await Assertions.Expect(box).Not.ToHaveAttributeAsync("aria-activedescendant", new Regex("."));
        await box.PressAsync("Enter");
        await page.WaitForURLAsync("**/patients?q=*");
        await Assertions.Expect(page.GetByText("No patients found.")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    private async Task<IPage> SignInFrontDeskAsync(bool javaScript = true)
    {
        var page = await site.NewPageAsync(javaScript);
        var (email, password) = StaffSteps.Demo(Roles.FrontDesk);
        await StaffSteps.SubmitPasswordAsync(page, email, password);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Jordan Lee" })).ToBeVisibleAsync();
        return page;
    }

    private static async Task FillPatientAsync(IPage page, string family, string given, string birthDate)
    {
        var name = page.GetByRole(AriaRole.Group, new() { Name = "Name and birth" });
        await name.GetByRole(AriaRole.Textbox, new() { Name = "Family name", Exact = true }).FillAsync(family);
        await name.GetByRole(AriaRole.Textbox, new() { Name = "Given name", Exact = true }).FillAsync(given);
        await name.GetByLabel("Date of birth").FillAsync(birthDate);
        await name.GetByLabel("Sex (administrative)").SelectOptionAsync("female");
    }

    /// <summary>Eight letters: names are letters, and the run's database holds 2,000 demo patients besides.</summary>
    private static string UniqueLetters()
    {
        var hex = Guid.NewGuid().ToString("N")[..8];
        return new string(hex.Select((c, i) => (char)((i == 0 ? 'A' : 'a') + Convert.ToInt32(c.ToString(), 16))).ToArray());
    }

    [GeneratedRegex(@"/patients/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\?registered=1$")]
    private static partial Regex ChartUrl();
}
