using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Meridian.Tests.Infrastructure;

/// <summary>
/// A browser-like session over HTTP: keeps cookies, does not follow redirects (tests assert them), and posts the server-rendered
/// forms as a browser would (the antiforgery token and Blazor's form handler name taken from the page).
/// </summary>
public sealed partial class CookieSession(MeridianApp app) : IDisposable
{
    private readonly HttpClient _client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public HttpClient Client => _client;

    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(path);

    public async Task<string> GetPageAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: expected 200 but got {(int)response.StatusCode} {response.Headers.Location}");
        return html;
    }

    /// <summary>Loads <paramref name="page"/>, then submits its form named <paramref name="formName"/> with the given fields.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string page, string formName, IDictionary<string, string> fields)
    {
        var html = await GetPageAsync(page);
        return await PostFormAsync(page, html, formName, fields);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string page, string html, string formName, IDictionary<string, string> fields)
    {
        var token = AntiforgeryToken().Match(html);
        Assert.True(token.Success, $"No antiforgery token on {page}.");
        var form = new Dictionary<string, string>(fields)
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["_handler"] = formName,
        };
        return await _client.PostAsync(page, new FormUrlEncodedContent(form));
    }

    public async Task<HttpResponseMessage> SignInAsync(string email, string password, string page = "/login") =>
        await SubmitAsync(page, "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    /// <summary>A new Administrator signed in and enrolled in MFA (the enrolment Administrators must do first).</summary>
    public async Task<string> SignInAsNewAdministratorAsync()
    {
        var admin = await app.CreateUserAsync(Meridian.SharedKernel.Security.Roles.Administrator);
        var response = await SignInAsync(admin.Email, TestPasswords.Default);
        response.AssertRedirect("/account/mfa");
        var page = await GetPageAsync("/account/mfa");
        var key = SharedKey().Match(page).Groups[1].Value;
        var enrolled = await (await PostFormAsync("/account/mfa", page, "enrol-mfa", new Dictionary<string, string> { ["Input.Code"] = Totp.Code(key) })).HtmlAsync();
        Assert.Contains("Your authenticator app is set up.", enrolled);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        return admin.Email;
    }

    public void Dispose() => _client.Dispose();

    [GeneratedRegex("data-key=\"([A-Z2-7]+)\"")]
    private static partial Regex SharedKey();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}

public static class ResponseAssertions
{
    public static void AssertRedirect(this HttpResponseMessage response, string expectedPathStart)
    {
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.RedirectKeepVerb,
            $"Expected a redirect to {expectedPathStart} but got {(int)response.StatusCode}");
        var location = response.Headers.Location!;
        var path = location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
        Assert.StartsWith(expectedPathStart, path, StringComparison.OrdinalIgnoreCase);
    }

    public static async Task<string> HtmlAsync(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} but got {(int)response.StatusCode} {response.Headers.Location}: {html[..Math.Min(html.Length, 500)]}");
        return html;
    }
}
