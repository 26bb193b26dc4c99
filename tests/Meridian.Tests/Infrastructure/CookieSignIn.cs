using System.Net;
using System.Text.RegularExpressions;
using Meridian.Identity.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Infrastructure;

/// <summary>
/// TEST ONLY. Registers POST /test/sign-in?email=… that signs a staff user in with the real SignInManager and cookie
/// (the product's sign-in page, with its password and MFA steps, is tested on its own). Added by the page-test
/// factories below through an IStartupFilter; the product never maps this route.
/// </summary>
internal sealed class TestSignInStartupFilter : IStartupFilter
{
    public const string Path = "/test/sign-in";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        // Not app.Map: a mapped branch moves the path into PathBase, and the cookie would be scoped to /test/sign-in.
        app.Use(async (ctx, nextMiddleware) =>
        {
            if (!ctx.Request.Path.Equals(Path, StringComparison.Ordinal)) { await nextMiddleware(ctx); return; }
            if (!HttpMethods.IsPost(ctx.Request.Method)) { ctx.Response.StatusCode = 405; return; }
            var users = ctx.RequestServices.GetRequiredService<UserManager<StaffUser>>();
            var user = await users.FindByEmailAsync(ctx.Request.Query["email"].ToString());
            if (user is null) { ctx.Response.StatusCode = 404; return; }
            await ctx.RequestServices.GetRequiredService<SignInManager<StaffUser>>().SignInAsync(user, isPersistent: false);
            ctx.Response.StatusCode = 204;
        });
        next(app);
    };
}

public sealed class SqlitePagesApp : SqliteApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<IStartupFilter, TestSignInStartupFilter>());
    }
}

public sealed class PostgreSqlPagesApp : PostgreSqlApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<IStartupFilter, TestSignInStartupFilter>());
    }
}

/// <summary>A browser-like client: cookies kept, redirects not followed (so tests see them), antiforgery tokens read from pages.</summary>
public static partial class PageClient
{
    public static async Task<HttpClient> SignedInAsync(MeridianApp app, string role)
    {
        var user = await app.CreateUserAsync(role);
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        using var response = await client.PostAsync($"{TestSignInStartupFilter.Path}?email={Uri.EscapeDataString(user.Email)}", null);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent && response.Headers.Contains("Set-Cookie"), $"Test sign-in failed: {(int)response.StatusCode} {response.Headers}");
        return client;
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
