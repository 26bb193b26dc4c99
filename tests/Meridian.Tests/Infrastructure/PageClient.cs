using System.Net;
using System.Text.RegularExpressions;

namespace Meridian.Tests.Infrastructure;

/// <summary>A browser-like client: cookies kept, redirects not followed (so tests see them), antiforgery tokens read from pages.</summary>
public static partial class PageClient
{
    /// <summary>A new staff user of the role, signed in through the real sign-in page (roles without required MFA).</summary>
    public static async Task<HttpClient> SignedInAsync(MeridianApp app, string role)
    {
        var user = await app.CreateUserAsync(role);
        var session = new CookieSession(app);
        using var response = await session.SignInAsync(user.Email, TestPasswords.Default);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString.Contains("/login", StringComparison.Ordinal) != true,
            $"Sign-in failed: {(int)response.StatusCode} {response.Headers.Location}");
        return session.Client;
    }

    public static async Task<string> GetPageAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {response.Headers.Location} {html}");
        return html;
    }

    /// <summary>Posts a form the way a browser does: the page's antiforgery token, the form name (_handler), and the fields.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, string formName, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var page = await client.GetPageAsync(url);
        var token = AntiforgeryToken().Match(page);
        Assert.True(token.Success, "The page has no antiforgery token: " + page);
        var body = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)), new("_handler", formName) };
        body.AddRange(fields);
        return await client.PostAsync(url, new FormUrlEncodedContent(body));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
