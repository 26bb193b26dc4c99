using System.Security.Claims;
using Meridian.Identity.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Identity.Security;

/// <summary>A deactivated staff user cannot sign in, whatever the password (Identity then answers NotAllowed).</summary>
internal sealed class StaffSignInManager(
    UserManager<StaffUser> users, IHttpContextAccessor http, IUserClaimsPrincipalFactory<StaffUser> claims,
    IOptions<IdentityOptions> options, ILogger<SignInManager<StaffUser>> logger, IAuthenticationSchemeProvider schemes,
    IUserConfirmation<StaffUser> confirmation)
    : SignInManager<StaffUser>(users, http, claims, options, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(StaffUser user) => user.IsActive && await base.CanSignInAsync(user);
}

/// <summary>
/// Authentication methods (RFC 8176 "amr") on the sign-in cookie: Identity adds "pwd" after a password alone and "mfa" after
/// the second factor. The MFA enforcement reads it, so it must survive the per-request principal refresh.
/// </summary>
public static class AuthenticationMethods
{
    public const string ClaimType = "amr";
    public const string Password = "pwd";
    public const string MultiFactor = "mfa";

    public static bool HasMultiFactor(ClaimsPrincipal user) => user.HasClaim(ClaimType, MultiFactor);

    /// <summary>
    /// The security stamp validator rebuilds the principal from the database on every request (ValidationInterval is zero, so a
    /// deactivation or "sign out everywhere" bites at once); the rebuilt principal would lose "amr" without this.
    /// </summary>
    internal static Task KeepOnRefresh(SecurityStampRefreshingPrincipalContext context)
    {
        if (context.NewPrincipal?.Identity is ClaimsIdentity fresh && context.CurrentPrincipal is { } current)
            foreach (var amr in current.FindAll(ClaimType).ToList())
                if (!fresh.HasClaim(ClaimType, amr.Value)) fresh.AddClaim(new Claim(ClaimType, amr.Value));
        return Task.CompletedTask;
    }
}
