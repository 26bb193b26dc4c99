using Meridian.Identity.Features;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Meridian.BrowserTests.Infrastructure;

/// <summary>Steps the flows share: signing in as a demo user, enrolling and passing MFA.</summary>
public static class StaffSteps
{
    public static (string Email, string Password) Demo(string role)
    {
        var u = DemoStaff.Users.Single(u => u.Role == role);
        return (u.Email, u.Password);
    }

    public static async Task SubmitPasswordAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Signs the demo administrator in, enrolling the authenticator on first use (the site remembers the key).</summary>
    public static async Task SignInAsAdministratorAsync(MeridianSite site, IPage page)
    {
        var (email, password) = Demo(Roles.Administrator);
        await SubmitPasswordAsync(page, email, password);
        if (site.AdminAuthenticatorKey is null)
        {
            await page.WaitForURLAsync("**/account/mfa**");
            site.AdminAuthenticatorKey = await page.Locator("#shared-key").GetAttributeAsync("data-key");
            await page.GetByLabel("Code from the app").FillAsync(Totp.Code(site.AdminAuthenticatorKey!));
            await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and enrol" }).ClickAsync();
            await Assertions.Expect(page.Locator("#mfa-enrolled")).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Continue" }).ClickAsync();
        }
        else
        {
            await page.WaitForURLAsync("**/login/mfa**");
            await page.GetByLabel("Authenticator code").FillAsync(Totp.Code(site.AdminAuthenticatorKey));
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        }
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Alex Admin" })).ToBeVisibleAsync();
    }
}
