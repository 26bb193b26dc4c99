using System.Net;
using Meridian.Audit.Contracts;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Audit;

public abstract class AuditReportPageTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    [Fact]
    public async Task The_report_filters_by_user_and_action_and_viewing_it_is_audited()
    {
        var nurse = await app.CreateUserAsync(Roles.Nurse);
        using (var s = new CookieSession(app)) await s.SignInAsync(nurse.Email, "Wrong-Password-9");
        using var session = new CookieSession(app);
        var admin = await session.SignInAsNewAdministratorAsync();

        var html = await session.GetPageAsync($"/admin/audit?user={Uri.EscapeDataString(nurse.Email)}&action=SignInFailed");
        Assert.Contains("1 record", html);
        Assert.Contains("wrong password (1 of 5 before lockout)", html);
        Assert.DoesNotContain(admin, html.Split("<tbody>")[1]);

        var (items, _) = await app.WithScopeAsync(sp => sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(User: admin, Action: "Search")));
        Assert.Contains(items, i => i.ResourceType == "AuditEvent" && i.Detail!.Contains("audit report", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sorting_and_paging_links_keep_the_filters()
    {
        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var html = await session.GetPageAsync("/admin/audit?action=SignIn&sort=user");
        Assert.Contains("aria-sort=\"ascending\"", html);
        Assert.Contains(">User ▲</a>", WebUtility.HtmlDecode(html));
        Assert.Contains("href=\"/admin/audit?action=SignIn&amp;sort=-user\"", html);
        Assert.Contains("href=\"/api/audit/export.csv?action=SignIn\"", html);
    }

    [Fact]
    public async Task A_bad_date_filter_is_reported_on_the_page_not_as_an_error_page()
    {
        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var html = await session.GetPageAsync("/admin/audit?from=yesterday");
        Assert.Contains("must be a date", html);
    }

    [Fact]
    public async Task Verify_chain_shows_that_the_trail_is_intact_and_is_audited()
    {
        using var session = new CookieSession(app);
        var admin = await session.SignInAsNewAdministratorAsync();
        var html = await (await session.SubmitAsync("/admin/audit", "verify-chain", new Dictionary<string, string>())).HtmlAsync();
        Assert.Contains("Audit trail intact", html);
        var (items, _) = await app.WithScopeAsync(sp => sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(User: admin, Action: "Verify")));
        Assert.Single(items);
    }

    [Fact]
    public async Task The_csv_export_works_with_the_signed_in_session()
    {
        using var session = new CookieSession(app);
        var admin = await session.SignInAsNewAdministratorAsync();
        var response = await session.GetAsync($"/api/audit/export.csv?user={Uri.EscapeDataString(admin)}&action=SignIn");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("sequence,occurred_at_utc", csv);
        Assert.Contains(admin, csv);
    }
}

public sealed class AuditReportPageTests_Sqlite(SqliteApp app) : AuditReportPageTests<SqliteApp>(app);
public sealed class AuditReportPageTests_PostgreSql(PostgreSqlApp app) : AuditReportPageTests<PostgreSqlApp>(app);
