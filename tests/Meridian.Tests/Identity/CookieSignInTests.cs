using System.Net;
using System.Text.RegularExpressions;
using Meridian.Audit.Contracts;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Identity;

/// <summary>Staff sign-in through the pages (cookie session): lockout, deactivation, MFA, idle timeout, sign-out, audit.</summary>
public abstract partial class CookieSignInTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private async Task<int> AuditCountAsync(string user, string action, string? outcome = null)
    {
        // Read through the audit module's reader: the idle-timeout test moves the shared clock past any cached token's expiry.
        var (items, _) = await app.WithScopeAsync(sp => sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(User: user, Action: action, Count: 1000)));
        return items.Count(i => outcome is null || i.Outcome == outcome);
    }

    [Fact]
    public async Task Front_desk_signs_in_with_the_password_reaches_the_home_page_and_the_sign_in_is_audited()
    {
        var user = await app.CreateUserAsync(Roles.FrontDesk);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        var home = await session.GetPageAsync("/");
        Assert.Contains("Find a patient", home);
        Assert.Contains("href=\"/patients/register\"", home);
        Assert.DoesNotContain("href=\"/admin/users\"", home);
        Assert.Equal(1, await AuditCountAsync(user.Email, "SignIn", "Success"));
    }

    [Fact]
    public async Task A_page_that_needs_sign_in_redirects_to_the_login_page_and_back_after_sign_in()
    {
        var user = await app.CreateUserAsync(Roles.Nurse);
        using var session = new CookieSession(app);
        (await session.GetAsync("/account")).AssertRedirect("/login?ReturnUrl=%2Faccount");
        (await session.SignInAsync(user.Email, TestPasswords.Default, "/login?ReturnUrl=%2Faccount")).AssertRedirect("/account");
    }

    [Fact]
    public async Task A_return_url_to_another_site_is_ignored()
    {
        var user = await app.CreateUserAsync(Roles.Nurse);
        using var session = new CookieSession(app);
        var response = await session.SignInAsync(user.Email, TestPasswords.Default, "/login?ReturnUrl=%2F%2Fevil.example%2Fx");
        response.AssertRedirect("/");
        Assert.DoesNotContain("evil", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_wrong_password_shows_a_message_and_is_audited_as_a_failed_sign_in()
    {
        var user = await app.CreateUserAsync(Roles.Biller);
        using var session = new CookieSession(app);
        var html = await (await session.SignInAsync(user.Email, "Wrong-Password-1")).HtmlAsync();
        Assert.Contains("Wrong e-mail or password.", html);
        Assert.DoesNotContain("Wrong-Password-1", html);
        (await session.GetAsync("/")).AssertRedirect("/login");
        Assert.Equal(1, await AuditCountAsync(user.Email, "SignInFailed", "Failed"));
    }

    [Fact]
    public async Task An_unknown_e_mail_is_refused_like_a_wrong_password_and_audited_with_the_typed_name()
    {
        var email = $"nobody-{Guid.NewGuid():N}@test.meridian";
        using var session = new CookieSession(app);
        Assert.Contains("Wrong e-mail or password.", await (await session.SignInAsync(email, "Whatever-123456")).HtmlAsync());
        Assert.Equal(1, await AuditCountAsync(email, "SignInFailed"));
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_with_a_clear_message_even_for_the_right_password()
    {
        var user = await app.CreateUserAsync(Roles.Physician);
        using var session = new CookieSession(app);
        for (var i = 0; i < 4; i++)
            Assert.Contains("Wrong e-mail or password.", await (await session.SignInAsync(user.Email, $"Wrong-Password-{i}")).HtmlAsync());
        Assert.Contains("This account is locked after 5 failed sign-in attempts", await (await session.SignInAsync(user.Email, "Wrong-Password-5")).HtmlAsync());
        var html = await (await session.SignInAsync(user.Email, TestPasswords.Default)).HtmlAsync();
        Assert.Contains("This account is locked", html);
        (await session.GetAsync("/")).AssertRedirect("/login");
        Assert.Equal(2, await AuditCountAsync(user.Email, "SignInFailed", "Denied"));

        // An administrator can lift the lockout.
        await app.WithScopeAsync(async sp => { await sp.GetRequiredService<ManageUsersHandler>().UnlockAsync(user.Id); return 0; });
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
    }

    [Fact]
    public async Task A_deactivated_user_loses_an_open_session_at_once_and_cannot_sign_in_again()
    {
        var user = await app.CreateUserAsync(Roles.FrontDesk);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        await session.GetPageAsync("/");

        await app.WithScopeAsync(async sp => { await sp.GetRequiredService<ManageUsersHandler>().SetActiveAsync(user.Id, false); return 0; });
        app.Clock.Advance(TimeSpan.FromSeconds(1)); // the stamp check runs when any time has passed since the cookie was issued
        (await session.GetAsync("/")).AssertRedirect("/login");
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/audit")).StatusCode);

        Assert.Contains("This account has been deactivated", await (await session.SignInAsync(user.Email, TestPasswords.Default)).HtmlAsync());
        Assert.Contains("Wrong e-mail or password.", await (await session.SignInAsync(user.Email, "Not-The-Password-1")).HtmlAsync());
        Assert.Equal(2, await AuditCountAsync(user.Email, "SignInFailed", "Denied"));
    }

    [Fact]
    public async Task The_session_slides_while_used_and_ends_after_the_idle_timeout()
    {
        var user = await app.CreateUserAsync(Roles.Nurse);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");

        app.Clock.Advance(TimeSpan.FromMinutes(10));
        await session.GetPageAsync("/");
        app.Clock.Advance(TimeSpan.FromMinutes(10)); // 20 minutes after sign-in, 10 after the last request
        await session.GetPageAsync("/");
        app.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        (await session.GetAsync("/")).AssertRedirect("/login");
    }

    [Fact]
    public async Task Sign_out_ends_the_session_and_is_audited()
    {
        var user = await app.CreateUserAsync(Roles.Biller);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        var home = await session.GetPageAsync("/");
        (await session.PostFormAsync("/logout", home, "ignored", new Dictionary<string, string>())).AssertRedirect("/login?signedOut=1");
        (await session.GetAsync("/")).AssertRedirect("/login");
        Assert.Equal(1, await AuditCountAsync(user.Email, "SignOut"));
    }

    [Fact]
    public async Task Sign_out_without_the_antiforgery_token_is_refused()
    {
        var user = await app.CreateUserAsync(Roles.Biller);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        var response = await session.Client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await session.GetPageAsync("/");
    }

    [Fact]
    public async Task Sign_out_everywhere_from_the_account_page_ends_every_session_of_the_user()
    {
        var user = await app.CreateUserAsync(Roles.Physician);
        using var laptop = new CookieSession(app);
        using var tablet = new CookieSession(app);
        (await laptop.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        (await tablet.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        (await laptop.SubmitAsync("/account", "sign-out-everywhere", new Dictionary<string, string>())).AssertRedirect("/login");
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        (await tablet.GetAsync("/")).AssertRedirect("/login");
        (await laptop.GetAsync("/")).AssertRedirect("/login");
    }

    [Fact]
    public async Task An_administrator_must_enrol_mfa_before_anything_else_then_signs_in_with_a_code()
    {
        var admin = await app.CreateUserAsync(Roles.Administrator);
        using var session = new CookieSession(app);
        (await session.SignInAsync(admin.Email, TestPasswords.Default)).AssertRedirect("/account/mfa");

        // Until enrolled: pages redirect to enrolment, the API refuses.
        (await session.GetAsync("/admin/users")).AssertRedirect("/account/mfa?returnUrl=%2Fadmin%2Fusers");
        (await session.GetAsync("/")).AssertRedirect("/account/mfa");
        Assert.Equal(HttpStatusCode.Forbidden, (await session.GetAsync("/api/audit")).StatusCode);

        var page = await session.GetPageAsync("/account/mfa");
        var key = SharedKey().Match(page).Groups[1].Value;
        Assert.NotEmpty(key);
        Assert.Contains($"otpauth://totp/Meridian:{Uri.EscapeDataString(admin.Email)}?secret={key}", WebUtility.HtmlDecode(page));

        var wrong = await (await session.PostFormAsync("/account/mfa", page, "enrol-mfa", new Dictionary<string, string> { ["Input.Code"] = WrongCode(key) })).HtmlAsync();
        Assert.Contains("That code is not right", wrong);

        var enrolled = await (await session.PostFormAsync("/account/mfa", wrong, "enrol-mfa", new Dictionary<string, string> { ["Input.Code"] = Totp.Code(key) })).HtmlAsync();
        Assert.Contains("Your authenticator app is set up.", enrolled);
        Assert.Equal(10, RecoveryCode().Matches(enrolled.Split("recovery-codes")[1].Split("</ul>")[0]).Count);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("Staff users", await session.GetPageAsync("/admin/users"));
        await (await session.Client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.OK);

        // Next sign-in: password, then the authenticator code.
        var home = await session.GetPageAsync("/");
        (await session.PostFormAsync("/logout", home, "", new Dictionary<string, string>())).AssertRedirect("/login");
        (await session.SignInAsync(admin.Email, TestPasswords.Default, "/login?ReturnUrl=%2Fadmin%2Faudit")).AssertRedirect("/login/mfa?returnUrl=%2Fadmin%2Faudit");
        (await session.GetAsync("/admin/audit")).AssertRedirect("/login");
        var mfa = await (await session.SubmitAsync("/login/mfa?returnUrl=%2Fadmin%2Faudit", "mfa-code", new Dictionary<string, string> { ["Code.Value"] = WrongCode(key) })).HtmlAsync();
        Assert.Contains("That code is not right", mfa);
        (await session.PostFormAsync("/login/mfa?returnUrl=%2Fadmin%2Faudit", mfa, "mfa-code", new Dictionary<string, string> { ["Code.Value"] = Totp.Code(key) }))
            .AssertRedirect("/admin/audit");
        Assert.Contains("Audit report", await session.GetPageAsync("/admin/audit"));
        Assert.Equal(1, await AuditCountAsync(admin.Email, "SignInFailed"));
        Assert.Equal(2, await AuditCountAsync(admin.Email, "SignIn"));
    }

    [Fact]
    public async Task A_physician_is_not_required_to_enrol_mfa_by_default()
    {
        var user = await app.CreateUserAsync(Roles.Physician);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        await session.GetPageAsync("/account");
    }

    [Fact]
    public async Task A_role_without_the_permission_gets_access_denied_on_admin_pages()
    {
        var user = await app.CreateUserAsync(Roles.FrontDesk);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        (await session.GetAsync("/admin/users")).AssertRedirect("/access-denied");
        (await session.GetAsync("/admin/audit")).AssertRedirect("/access-denied");
    }

    [Fact]
    public async Task The_login_page_never_shows_demo_passwords_outside_demo_mode()
    {
        using var session = new CookieSession(app);
        var html = await session.GetPageAsync("/login");
        Assert.Contains("Sign in to Meridian", html);
        Assert.DoesNotContain("Demo-Admin-2026", html);
    }

    private static string WrongCode(string key)
    {
        var right = Totp.Code(key);
        var near = new[] { -2, -1, 0, 1, 2 }.Select(s => Totp.Code(key, DateTimeOffset.UtcNow.AddSeconds(30 * s))).ToHashSet();
        for (var n = 0; ; n++)
        {
            var candidate = n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            if (candidate != right && !near.Contains(candidate)) return candidate;
        }
    }

    [GeneratedRegex("data-key=\"([A-Z2-7]+)\"")]
    private static partial Regex SharedKey();

    [GeneratedRegex("<li class=\"col\">[^<]+</li>")]
    private static partial Regex RecoveryCode();
}

public sealed class CookieSignInTests_Sqlite(SqliteApp app) : CookieSignInTests<SqliteApp>(app);
public sealed class CookieSignInTests_PostgreSql(PostgreSqlApp app) : CookieSignInTests<PostgreSqlApp>(app);
