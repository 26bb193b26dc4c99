using System.Security.Claims;
using System.Text;
using Meridian.Audit.Contracts;
using Meridian.Identity.Data;
using Meridian.Identity.Domain;
using Meridian.Identity.Security;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Identity.Features.IssueToken;

/// <summary>
/// OAuth 2.0 token endpoint (RFC 6749 §3.2). Supports <c>client_credentials</c> (§4.4) for registered confidential clients
/// authenticating with HTTP Basic (<c>client_secret_basic</c>, §2.3.1). Errors follow §5.2 (JSON error, 400/401).
/// SMART App Launch's authorization_code grant plugs in here later: it issues the same token shape.
/// </summary>
internal static class IssueTokenEndpoint
{
    public const string Path = "/oauth/token";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost(Path, HandleAsync).AllowAnonymous().DisableAntiforgery()
            .WithMetadata(new AuditedAttribute(AuditAction.TokenIssued, "AccessToken"));

    private static async Task<IResult> HandleAsync(HttpContext http, MeridianIdentityDbContext db, TokenService tokens,
        IPasswordHasher<ApiClient> hasher, AccessStateCache access, IAuditTrail audit, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (!http.Request.HasFormContentType)
            return Error("invalid_request", "The request must be application/x-www-form-urlencoded.");
        var form = await http.Request.ReadFormAsync(ct);
        var grantType = form["grant_type"].ToString();

        var (clientId, secret) = ReadBasic(http.Request);
        if (clientId is null || secret is null)
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"meridian\"";
            return Error("invalid_client", "Client authentication with HTTP Basic (client_secret_basic) is required.", 401);
        }
        if (grantType != "client_credentials")
            return Error("unsupported_grant_type", "Only the client_credentials grant is supported at this endpoint.");

        var client = await db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == clientId, ct);
        if (client is null || !client.IsActive ||
            hasher.VerifyHashedPassword(client, client.SecretHash, secret) == PasswordVerificationResult.Failed)
        {
            await audit.RecordAsync(new AuditEntry(AuditAction.TokenDenied, "AccessToken", clientId, Outcome: AuditOutcome.Denied,
                Detail: "invalid client credentials") { ClientIdOverride = clientId }, ct);
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"meridian\"";
            return Error("invalid_client", "Unknown client, wrong secret, or deactivated client.", 401);
        }

        var allowed = client.AllowedScopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var requested = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (requested.Length == 0) requested = allowed; // RFC 6749 §3.3: the server may apply a default scope
        var expectedContext = client.UserId is null ? "system" : "user";
        var refused = requested.Where(s => SmartScopes.Parse(s)?.Context != expectedContext || !SmartScopes.IsAllowed(s, allowed)).ToList();
        if (refused.Count > 0)
        {
            await audit.RecordAsync(new AuditEntry(AuditAction.TokenDenied, "AccessToken", clientId, Outcome: AuditOutcome.Denied,
                Detail: "scope not allowed: " + string.Join(' ', refused)) { ClientIdOverride = clientId }, ct);
            return Error("invalid_scope", $"Scope(s) not allowed for this client: {string.Join(' ', refused)}.");
        }

        var permissions = SmartScopes.PermissionsFor(requested).ToHashSet(StringComparer.Ordinal);
        var claims = new List<Claim>
        {
            new("sub", client.UserId ?? client.ClientId),
            new(MeridianClaims.ClientId, client.ClientId),
            new(MeridianClaims.Scope, string.Join(' ', requested)),
        };
        if (client.UserId is not null)
        {
            // A staff user's script acts as that user: never more than the user's own role allows.
            var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == client.UserId, ct);
            var (active, stamp) = await access.UserAsync(client.UserId, ct);
            if (user is null || !active)
                return Error("invalid_client", "The user this client acts for is deactivated.", 401);
            var role = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == user.Id select r.Name).FirstOrDefaultAsync(ct) ?? "";
            permissions.IntersectWith(RolePermissions.For(role));
            claims.Add(new("meridian:user", user.Id));
            claims.Add(new("meridian:sstamp", stamp ?? ""));
            claims.Add(new("name", user.UserName ?? user.Id));
            claims.Add(new("role", role));
        }
        else
        {
            claims.Add(new("name", client.ClientId));
            claims.Add(new("role", "system"));
        }
        claims.AddRange(permissions.Select(p => new Claim(MeridianClaims.Permission, p)));

        var (token, expiresIn) = await tokens.IssueAsync(claims, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.TokenIssued, "AccessToken", clientId,
            Detail: "scope=" + string.Join(' ', requested))
        { ClientIdOverride = clientId, UserIdOverride = client.UserId, UserNameOverride = claims.First(c => c.Type == "name").Value }, ct);
        return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = expiresIn, scope = string.Join(' ', requested) });
    }

    private static (string? Id, string? Secret) ReadBasic(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return (null, null);
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':');
            if (colon <= 0) return (null, null);
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
            return (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
        }
        catch (FormatException)
        {
            return (null, null);
        }
    }

    private static IResult Error(string error, string description, int status = 400) =>
        Results.Json(new { error, error_description = description }, statusCode: status);
}
