using System.Security.Claims;
using Meridian.Identity.Domain;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Meridian.Identity.Security;

/// <summary>Puts the user's role, display name and the role's permissions on the sign-in principal.</summary>
internal sealed class StaffClaimsFactory(UserManager<StaffUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<StaffUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(StaffUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim("display_name", user.DisplayName.Length > 0 ? user.DisplayName : user.UserName ?? user.Id));
        identity.AddClaim(new Claim("meridian:user", user.Id));
        foreach (var role in await UserManager.GetRolesAsync(user))
        {
            identity.AddClaim(new Claim("role", role));
            foreach (var p in RolePermissions.For(role)) identity.AddClaim(new Claim(MeridianClaims.Permission, p));
        }
        return identity;
    }
}
