using Meridian.BrowserTests.Infrastructure;
using Meridian.SharedKernel.Security;
using Microsoft.Playwright;

namespace Meridian.BrowserTests.Flows;

[Collection(BrowserCollection.Name)]
public sealed class SignInFlowTests(MeridianSite site)
{
    [Fact]
    public async Task The_administrator_signs_in_enrols_mfa_sees_the_sign_ins_in_the_audit_report_and_verifies_the_chain()
    {
        var page = await site.NewPageAsync();
        await StaffSteps.SignInAsAdministratorAsync(site, page);

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit report" })).ToBeVisibleAsync();
        await page.GetByLabel("Action").SelectOptionAsync("SignIn");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var rows = page.Locator("#audit-table tbody tr");
        await Assertions.Expect(rows.Filter(new() { HasText = "admin@demo.meridian.test" }).First).ToContainTextAsync("SignIn");
        await Assertions.Expect(rows.Filter(new() { HasNotText = "SignIn" })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify chain" }).ClickAsync();
        await Assertions.Expect(page.Locator("#verify-result")).ToContainTextAsync("Audit trail intact");
        await MeridianSite.ScreenshotAsync(page, "audit-report");
        await page.GotoAsync("/admin/users");
        await MeridianSite.ScreenshotAsync(page, "users");
        await page.GotoAsync("/account");
        await MeridianSite.ScreenshotAsync(page, "account");
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_with_a_clear_message()
    {
        var user = await site.CreateUserAsync(Roles.Nurse, "Browser-Nurse-2026");
        var page = await site.NewPageAsync();
        for (var i = 1; i <= 5; i++)
            await StaffSteps.SubmitPasswordAsync(page, user.Email, $"Wrong-Password-{i}");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This account is locked after 5 failed sign-in attempts");

        await StaffSteps.SubmitPasswordAsync(page, user.Email, "Browser-Nurse-2026");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This account is locked");
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath);
    }

    [Fact]
    public async Task Front_desk_signs_in_without_mfa_and_sees_their_home_page()
    {
        var page = await site.NewPageAsync();
        await page.GotoAsync("/login");
        // Demo mode lists the demo users and their passwords on the sign-in page.
        await Assertions.Expect(page.Locator("#demo-users")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Demo-Front-2026")).ToBeVisibleAsync();
        await MeridianSite.ScreenshotAsync(page, "login");

        var (email, password) = StaffSteps.Demo(Roles.FrontDesk);
        await StaffSteps.SubmitPasswordAsync(page, email, password);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Jordan Lee" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Register a new patient" })).ToHaveAttributeAsync("href", "/patients/register");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Find a patient" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0);
        await MeridianSite.ScreenshotAsync(page, "home-front-desk");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByText("You are signed out.")).ToBeVisibleAsync();
    }
}
