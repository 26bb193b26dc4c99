using System.Net;
using Meridian.Identity.Features.ManageUsers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Meridian.BrowserTests.Infrastructure;

/// <summary>
/// Meridian on a real Kestrel server (127.0.0.1, random port; a browser cannot reach WebApplicationFactory's in-memory server),
/// in demo mode (the demo staff exist) over a temporary SQLite file, plus one headless Chromium shared by the browser tests.
/// Each test opens its own browser context, so cookies never leak between tests.
/// </summary>
public sealed class MeridianSite : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>Chromium installed by the system (.ci/run installs it); Playwright's own browser download is not used.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("MERIDIAN_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "meridian-browser-tests", Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = default!;

    /// <summary>The demo administrator's authenticator key, once a test has enrolled it (the site lives for the whole run).</summary>
    public string? AdminAuthenticatorKey { get; set; }

    public MeridianSite() => UseKestrel(o => o.Listen(IPAddress.Loopback, 0));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_dir);
        builder.UseEnvironment("Testing");
        builder.UseSetting("Meridian:Database:Provider", "Sqlite");
        builder.UseSetting("ConnectionStrings:Meridian", $"Data Source={Path.Combine(_dir, "meridian.db")};Pooling=True");
        builder.UseSetting("Meridian:Database:AutoMigrate", "true");
        builder.UseSetting("Meridian:Demo", "true");
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Chromium is required for the browser tests and was not found at {ChromiumPath} (set MERIDIAN_CHROMIUM).");
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
    }

    /// <summary>A page in a fresh browser context; <paramref name="javaScript"/> false checks that a page works without script.</summary>
    public async Task<IPage> NewPageAsync(bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, Locale = "en-US", JavaScriptEnabled = javaScript });
        // Generous limits: the test machine is small and shared, and a first request may JIT a whole page.
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves a full-page screenshot when MERIDIAN_SCREENSHOTS names a folder (for reviewing the pages, or CI artifacts).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("MERIDIAN_SCREENSHOTS") is not { Length: > 0 } dir) return;
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = true });
    }

    public async Task<StaffUserView> CreateUserAsync(string role, string password)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ManageUsersHandler>()
            .CreateAsync($"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@browser.meridian.test", $"Browser {role}", role, password);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* still held by the OS; the temp folder is cleaned later */ }
    }
}

/// <summary>Every browser test class joins this collection: one server and one Chromium for the run, tests one after another.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<MeridianSite>
{
    public const string Name = "browser";
}
