using Meridian.Identity.Data;
using Meridian.Identity.Domain;
using Meridian.Identity.Features;
using Meridian.Identity.Features.IssueToken;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Identity.Features.ManageUsers;
using Meridian.Identity.Security;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity;

public sealed class IdentitySettings
{
    /// <summary>Signed-in staff are signed out after this much inactivity (server-enforced: the cookie's ticket expires).</summary>
    public int IdleTimeoutMinutes { get; set; } = 15;
    /// <summary>Roles that must enrol TOTP multi-factor authentication before using Meridian. Administrators always must.</summary>
    public string[] MfaRequiredRoles { get; set; } = [Roles.Administrator];
    public int MaxFailedAccessAttempts { get; set; } = 5;
    public int LockoutMinutes { get; set; } = 15;
}

public static class IdentityModule
{
    /// <summary>The scheme that picks bearer tokens when an Authorization header is present, the staff cookie otherwise.</summary>
    public const string DefaultScheme = "Meridian";

    public static IServiceCollection AddIdentityModule(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Meridian:Identity").Get<IdentitySettings>() ?? new IdentitySettings();
        if (!settings.MfaRequiredRoles.Contains(Roles.Administrator)) settings.MfaRequiredRoles = [.. settings.MfaRequiredRoles, Roles.Administrator];
        services.AddSingleton(settings);
        services.Configure<AccessTokenOptions>(configuration.GetSection("Meridian:Tokens"));

        services.AddDbContext<MeridianIdentityDbContext>((sp, o) => o.UseMeridianDatabase(sp.GetRequiredService<DatabaseOptions>()));
        services.AddIdentityCore<StaffUser>(o =>
            {
                // NIST SP 800-63B §5.1.1: length over composition rules; still require some variety for a clinic's shared machines.
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = true;
                o.Password.RequireLowercase = true;
                o.Password.RequireDigit = true;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = settings.MaxFailedAccessAttempts;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(settings.LockoutMinutes);
                o.User.RequireUniqueEmail = true;
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<MeridianIdentityDbContext>()
            .AddSignInManager<StaffSignInManager>()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<StaffClaimsFactory>();

        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            // Every request re-checks the user's security stamp: deactivation, a role change, "sign out everywhere" act at once.
            o.ValidationInterval = TimeSpan.Zero;
            o.OnRefreshingPrincipal = AuthenticationMethods.KeepOnRefresh;
        });
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = DefaultScheme;
                o.DefaultChallengeScheme = DefaultScheme;
            })
            .AddPolicyScheme(DefaultScheme, "Cookie or bearer token", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? BearerTokenHandler.SchemeName
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "meridian.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
            o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(settings.IdleTimeoutMinutes);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/access-denied";
            // APIs answer 401/403; only pages redirect to the sign-in page.
            o.Events.OnRedirectToLogin = ctx => ApiAwareRedirect(ctx, 401);
            o.Events.OnRedirectToAccessDenied = ctx => ApiAwareRedirect(ctx, 403);
        });

        services.AddAuthorization(o =>
        {
            foreach (var permission in Permissions.All)
                o.AddPolicy(permission, p => p.RequireAuthenticatedUser().RequireClaim(MeridianClaims.Permission, permission));
            o.FallbackPolicy = null; // pages and endpoints declare their own requirement; a test fails any that does not
        });
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        services.AddDataProtection().SetApplicationName("Meridian");
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<IServiceScopeFactory>((o, scopes) => o.XmlRepository = new DatabaseXmlRepository(scopes));
        services.AddHttpContextAccessor();
        services.AddScoped<ICurrentActor, CurrentActor>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<AccessStateCache>();
        services.AddScoped<IPasswordHasher<ApiClient>, PasswordHasher<ApiClient>>();
        services.AddScoped(sp => new ApiClientService(sp.GetRequiredService<MeridianIdentityDbContext>(), sp.GetRequiredService<IPasswordHasher<ApiClient>>(),
            sp.GetRequiredService<Audit.Contracts.IAuditTrail>(), sp.GetRequiredService<AccessStateCache>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped(sp => new ManageUsersHandler(sp.GetRequiredService<UserManager<StaffUser>>(), sp.GetRequiredService<MeridianIdentityDbContext>(),
            sp.GetRequiredService<Audit.Contracts.IAuditTrail>(), sp.GetRequiredService<AccessStateCache>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IDemoSeeder, DemoIdentitySeeder>();
        services.AddScoped<Features.SignIn.SignInEvents>();
        services.AddSingleton(new ModuleMigrations(MeridianIdentityDbContext.Schema, typeof(IdentityModule).Assembly, Order: 20));
        return services;
    }

    private static Task ApiAwareRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        var path = ctx.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/fhir") || path.StartsWithSegments("/oauth"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    public static IEndpointRouteBuilder MapIdentityModule(this IEndpointRouteBuilder app)
    {
        IssueTokenEndpoint.Map(app);
        SmartConfigurationEndpoint.Map(app);
        ManageUsersEndpoints.Map(app);
        Features.SignIn.SignOutEndpoint.Map(app);
        return app;
    }
}
