using Meridian.Audit.Contracts;
using Meridian.Identity.Domain;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Identity.Features.SignIn;

/// <summary>POST /logout: ends this session (the form in the layout carries the antiforgery token).</summary>
internal static class SignOutEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/logout", async (HttpContext http, IAntiforgery antiforgery, SignInManager<StaffUser> signIn, SignInEvents events) =>
            {
                if (!await antiforgery.IsRequestValidAsync(http)) return Results.BadRequest("The sign-out form has expired; reload the page and try again.");
                await events.SignedOutAsync("signed out", http.RequestAborted);
                await signIn.SignOutAsync();
                return Results.Redirect("/login?signedOut=1");
            })
            .RequireAuthorization()
            .DisableAntiforgery() // validated above, where a failure can be answered plainly
            .WithMetadata(new AuditedAttribute(AuditAction.SignOut, "StaffUser"));
}
