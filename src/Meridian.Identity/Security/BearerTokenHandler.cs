using System.Security.Claims;
using System.Text.Encodings.Web;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Identity.Security;

/// <summary>
/// Validates <c>Authorization: Bearer</c> access tokens issued by <see cref="TokenService"/>, then checks on every request
/// that the user (and the client) is still active and the user's security stamp unchanged: deactivation and
/// "sign out everywhere" revoke outstanding tokens immediately.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    TokenService tokens, AccessStateCache access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        var identity = await tokens.ValidateCachedAsync(token, Context.RequestAborted);
        if (identity is null) return AuthenticateResult.Fail("The access token is invalid or expired.");

        var clientId = identity.FindFirst(MeridianClaims.ClientId)?.Value;
        if (clientId is not null && !await access.ClientAsync(clientId, Context.RequestAborted))
            return AuthenticateResult.Fail("The client has been deactivated.");
        if (identity.FindFirst("meridian:user")?.Value is { } userId)
        {
            var (active, stamp) = await access.UserAsync(userId, Context.RequestAborted);
            if (!active) return AuthenticateResult.Fail("The user has been deactivated.");
            if (identity.FindFirst("meridian:sstamp")?.Value != stamp) return AuthenticateResult.Fail("The user's sessions were revoked.");
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(identity.Claims, SchemeName, "name", "role"));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        // RFC 6750 §3: tell the client how to authenticate and why the token was refused.
        Response.Headers.WWWAuthenticate = "Bearer realm=\"meridian\", error=\"invalid_token\"";
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 403;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"meridian\", error=\"insufficient_scope\"";
        return Task.CompletedTask;
    }
}
