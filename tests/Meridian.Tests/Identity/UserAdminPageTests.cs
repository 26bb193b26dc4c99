using System.Net;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Identity;

public abstract class UserAdminPageTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private Task<IReadOnlyList<StaffUserView>> UsersAsync() => app.WithScopeAsync(sp => sp.GetRequiredService<ManageUsersHandler>().ListAsync());

    private static Dictionary<string, string> NewUser(string email, string password, string role = Roles.Nurse, string name = "Casey Nurse") => new()
    {
        ["Create.Email"] = email, ["Create.DisplayName"] = name, ["Create.Role"] = role, ["Create.Password"] = password,
    };

    [Fact]
    public async Task Creating_a_user_with_a_weak_password_shows_the_reasons_inline_and_stores_nothing()
    {
        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var email = $"weak-{Guid.NewGuid():N}@test.meridian";
        var html = await (await session.SubmitAsync("/admin/users", "create-user", NewUser(email, "short"))).HtmlAsync();
        Assert.Contains("validation-message", html);
        Assert.Contains("at least 12 characters", html);
        Assert.DoesNotContain(await UsersAsync(), u => u.Email == email);
    }

    [Fact]
    public async Task Missing_fields_are_reported_next_to_each_field()
    {
        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var html = await (await session.SubmitAsync("/admin/users", "create-user", NewUser("", "", role: "", name: ""))).HtmlAsync();
        foreach (var message in new[] { "Enter the e-mail address.", "Enter the name to show.", "Choose a role.", "Enter an initial password." })
            Assert.Contains(message, html);
    }

    [Fact]
    public async Task An_administrator_creates_a_user_changes_the_role_and_deactivates_and_reactivates_them()
    {
        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var email = $"new-{Guid.NewGuid():N}@test.meridian";
        var html = await (await session.SubmitAsync("/admin/users", "create-user", NewUser(email, TestPasswords.Default))).HtmlAsync();
        Assert.Contains("was added as Nurse", html);
        var user = Assert.Single(await UsersAsync(), u => u.Email == email);
        Assert.Equal(Roles.Nurse, user.Role);

        async Task ActAsync(string action, string role = Roles.Nurse) =>
            await (await session.SubmitAsync("/admin/users", $"user-{user.Id}", new Dictionary<string, string> { ["action"] = action, ["role"] = role })).HtmlAsync();

        await ActAsync("role", Roles.Biller);
        Assert.Equal(Roles.Biller, (await UsersAsync()).Single(u => u.Id == user.Id).Role);
        await ActAsync("deactivate");
        Assert.False((await UsersAsync()).Single(u => u.Id == user.Id).IsActive);
        using (var other = new CookieSession(app))
            Assert.Contains("deactivated", await (await other.SignInAsync(email, TestPasswords.Default)).HtmlAsync());
        await ActAsync("reactivate");
        Assert.True((await UsersAsync()).Single(u => u.Id == user.Id).IsActive);
    }

    [Fact]
    public async Task A_duplicate_e_mail_is_shown_on_the_e_mail_field()
    {
        var existing = await app.CreateUserAsync(Roles.FrontDesk);
        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var html = await (await session.SubmitAsync("/admin/users", "create-user", NewUser(existing.Email, TestPasswords.Default))).HtmlAsync();
        Assert.Contains("A user with this e-mail address already exists.", html);
    }

    [Fact]
    public async Task A_physician_cannot_open_user_administration()
    {
        var user = await app.CreateUserAsync(Roles.Physician);
        using var session = new CookieSession(app);
        (await session.SignInAsync(user.Email, TestPasswords.Default)).AssertRedirect("/");
        (await session.GetAsync("/admin/users")).AssertRedirect("/access-denied");
        var response = await session.GetAsync("/access-denied");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}

public sealed class UserAdminPageTests_Sqlite(SqliteApp app) : UserAdminPageTests<SqliteApp>(app);
public sealed class UserAdminPageTests_PostgreSql(PostgreSqlApp app) : UserAdminPageTests<PostgreSqlApp>(app);
