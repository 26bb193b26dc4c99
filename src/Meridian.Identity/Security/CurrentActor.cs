using System.Security.Claims;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Http;

namespace Meridian.Identity.Security;

/// <summary>The actor of the current HTTP request, or the named system actor for commands and background work.</summary>
internal sealed class CurrentActor(IHttpContextAccessor http) : ICurrentActor
{
    private ClaimsPrincipal? User => http.HttpContext?.User;

    public string? UserId => User?.FindFirst("meridian:user")?.Value ?? User?.FindFirst(ClaimTypes.NameIdentifier)?.Value;
    public string? UserName => User?.Identity?.IsAuthenticated == true ? User.Identity.Name ?? User.FindFirst("name")?.Value : SystemName;
    public string? Role => User?.FindFirst("role")?.Value ?? User?.FindFirst(ClaimTypes.Role)?.Value;
    public string? ClientId => User?.FindFirst(MeridianClaims.ClientId)?.Value ?? (http.HttpContext is null ? null : "meridian-web");
    public string? SourceAddress => http.HttpContext?.Connection.RemoteIpAddress?.ToString() ?? (http.HttpContext is null ? "local" : null);
    public bool IsAuthenticated => User?.Identity?.IsAuthenticated == true;
    public bool Has(string permission) => User?.HasClaim(MeridianClaims.Permission, permission) == true;

    /// <summary>Work with no HTTP request (start-up seeding, commands) is recorded as done by the system.</summary>
    private string? SystemName => http.HttpContext is null ? "system" : null;
}
