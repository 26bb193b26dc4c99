using System.Net;
using System.Text.RegularExpressions;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;

namespace Meridian.Tests.Identity;

public abstract partial class AccountPageTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    [Fact]
    public async Task A_staff_user_registers_a_script_client_whose_token_acts_as_them()
    {
        var user = await app.CreateUserAsync(Roles.Biller);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        var html = await (await session.SubmitAsync("/account", "register-client",
            new Dictionary<string, string> { ["Client.Name"] = "nightly export", ["Client.Scopes"] = "user/Patient.rs" })).HtmlAsync();
        var id = ClientId().Match(html).Groups[1].Value;
        var secret = WebUtility.HtmlDecode(ClientSecret().Match(html).Groups[1].Value);
        Assert.StartsWith("usr-", id);

        using var script = await app.ClientWithTokenAsync(id, secret, "user/Patient.rs");
        // The token acts as the biller: it never reaches what a biller cannot (the audit trail).
        await (await script.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Contains("nightly export", await session.GetPageAsync("/account"));
    }

    [Fact]
    public async Task A_system_scope_for_a_personal_client_is_refused_next_to_the_field()
    {
        var user = await app.CreateUserAsync(Roles.Nurse);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        var html = await (await session.SubmitAsync("/account", "register-client",
            new Dictionary<string, string> { ["Client.Name"] = "sneaky", ["Client.Scopes"] = "system/*.cruds" })).HtmlAsync();
        Assert.Contains("is not a user/ SMART v2 scope", WebUtility.HtmlDecode(html));
        Assert.DoesNotContain("created-client-secret", html);
    }

    [Fact]
    public async Task Changing_the_password_keeps_this_session_and_the_old_password_stops_working()
    {
        var user = await app.CreateUserAsync(Roles.FrontDesk);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        const string newPassword = "Another-Horse-77";
        var wrong = await (await session.SubmitAsync("/account", "change-password", new Dictionary<string, string>
            { ["Password.CurrentPassword"] = "Not-Current-123", ["Password.NewPassword"] = newPassword, ["Password.ConfirmPassword"] = newPassword })).HtmlAsync();
        Assert.Contains("This is not your current password.", wrong);

        var done = await (await session.SubmitAsync("/account", "change-password", new Dictionary<string, string>
            { ["Password.CurrentPassword"] = TestPasswords.Default, ["Password.NewPassword"] = newPassword, ["Password.ConfirmPassword"] = newPassword })).HtmlAsync();
        Assert.Contains("Your password has been changed.", done);
        Assert.DoesNotContain(newPassword, done);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await session.GetPageAsync("/");

        using var other = new CookieSession(app);
        Assert.Contains("Wrong e-mail or password.", await (await other.SignInAsync(user.Email, TestPasswords.Default)).HtmlAsync());
        (await other.SignInAsync(user.Email, newPassword)).AssertRedirect("/");
    }

    [GeneratedRegex("id=\"created-client-id\">([^<]+)<")]
    private static partial Regex ClientId();

    [GeneratedRegex("id=\"created-client-secret\">([^<]+)<")]
    private static partial Regex ClientSecret();
}

public sealed class AccountPageTests_Sqlite(SqliteApp app) : AccountPageTests<SqliteApp>(app);
public sealed class AccountPageTests_PostgreSql(PostgreSqlApp app) : AccountPageTests<PostgreSqlApp>(app);
