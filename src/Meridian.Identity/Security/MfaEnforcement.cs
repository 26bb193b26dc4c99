using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;

namespace Meridian.Identity.Security;

/// <summary>
/// Staff whose role must use multi-factor authentication (IdentitySettings.MfaRequiredRoles; Administrators always) and who signed
/// in with a password alone (they have not enrolled yet) may only enrol, or sign out: every other page redirects to the enrolment
/// page and every API call answers 403. Checked on the server for each request, so no link or script can skip it.
/// </summary>
internal sealed class MfaEnforcementMiddleware(RequestDelegate next, IdentitySettings settings)
{
    public const string EnrolmentPath = "/account/mfa";
    private static readonly string[] AllowedPaths = [EnrolmentPath, "/logout", "/login", "/access-denied"];

    public Task InvokeAsync(HttpContext context)
    {
        if (!MustEnrol(context.User, settings)) return next(context);
        var path = context.Request.Path;
        if (AllowedPaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))) return next(context);
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/fhir") || path.StartsWithSegments("/oauth"))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return context.Response.WriteAsJsonAsync(new
            {
                type = "https://meridian.dev/problems/mfa-enrolment-required",
                title = "Multi-factor authentication must be enrolled before using Meridian.",
                status = 403,
            }, options: null, contentType: "application/problem+json");
        }
        var returnUrl = path + context.Request.QueryString;
        context.Response.Redirect($"{EnrolmentPath}?returnUrl={Uri.EscapeDataString(returnUrl)}");
        return Task.CompletedTask;
    }

    /// <summary>True for a cookie session of a user whose role requires MFA and who did not pass a second factor.</summary>
    public static bool MustEnrol(ClaimsPrincipal user, IdentitySettings settings) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: var type } && type == IdentityConstants.ApplicationScheme &&
        RequiresMfa(user, settings) && !AuthenticationMethods.HasMultiFactor(user);

    public static bool RequiresMfa(ClaimsPrincipal user, IdentitySettings settings) =>
        user.FindAll("role").Any(r => settings.MfaRequiredRoles.Contains(r.Value, StringComparer.Ordinal));
}

public static class MfaEnforcementExtensions
{
    /// <summary>Between authentication and authorization: see <see cref="MfaEnforcementMiddleware"/>.</summary>
    public static IApplicationBuilder UseMfaEnforcement(this IApplicationBuilder app) => app.UseMiddleware<MfaEnforcementMiddleware>();
}
