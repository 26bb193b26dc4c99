using Meridian.Identity.Features.IssueToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Identity.Features;

/// <summary>SMART App Launch v2 discovery (§2.0.7 .well-known/smart-configuration). Lists only what is implemented.</summary>
internal static class SmartConfigurationEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/.well-known/smart-configuration", (HttpRequest request) =>
        {
            var baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}";
            return Results.Json(new
            {
                issuer = baseUrl,
                token_endpoint = baseUrl + IssueTokenEndpoint.Path,
                token_endpoint_auth_methods_supported = new[] { "client_secret_basic" },
                grant_types_supported = new[] { "client_credentials" },
                scopes_supported = new[] { "system/*.cruds", "system/*.rs", "user/*.cruds", "user/*.rs" },
                response_types_supported = Array.Empty<string>(),
                // Only what works today; the authorization-code launch flows (and PKCE S256) are added with SMART App Launch.
                capabilities = new[] { "permission-v2" },
            });
        }).AllowAnonymous();
}
