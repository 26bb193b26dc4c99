using Meridian.Audit.Contracts;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Identity.Features.ManageUsers;

internal static class ManageUsersEndpoints
{
    public sealed record CreateUserRequest(string Email, string DisplayName, string Role, string Password);
    public sealed record ChangeRoleRequest(string Role);
    public sealed record CreateClientRequest(string Name, string Scopes);

    public static void Map(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/identity/users").RequireAuthorization(Permissions.UserAdmin);
        users.MapGet("", (ManageUsersHandler h, CancellationToken ct) => h.ListAsync(ct))
            .WithMetadata(new AuditedAttribute(AuditAction.Read, "StaffUser"));
        users.MapPost("", async (CreateUserRequest r, ManageUsersHandler h, CancellationToken ct) =>
            {
                var user = await h.CreateAsync(r.Email, r.DisplayName, r.Role, r.Password, ct);
                return Results.Created($"/api/identity/users/{user.Id}", user);
            })
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "StaffUser"));
        users.MapPut("/{id}/role", async (string id, ChangeRoleRequest r, ManageUsersHandler h, CancellationToken ct) =>
            { await h.ChangeRoleAsync(id, r.Role, ct); return Results.NoContent(); })
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "StaffUser"));
        users.MapPost("/{id}/deactivate", async (string id, ManageUsersHandler h, CancellationToken ct) =>
            { await h.SetActiveAsync(id, false, ct); return Results.NoContent(); })
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "StaffUser"));
        users.MapPost("/{id}/reactivate", async (string id, ManageUsersHandler h, CancellationToken ct) =>
            { await h.SetActiveAsync(id, true, ct); return Results.NoContent(); })
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "StaffUser"));
        users.MapPost("/{id}/sign-out-everywhere", async (string id, ManageUsersHandler h, CancellationToken ct) =>
            { await h.SignOutEverywhereAsync(id, ct); return Results.NoContent(); })
            .WithMetadata(new AuditedAttribute(AuditAction.SignOut, "StaffUser"));

        var clients = app.MapGroup("/api/identity/clients").RequireAuthorization(Permissions.UserAdmin);
        clients.MapPost("", async (CreateClientRequest r, ApiClientService s, CancellationToken ct) =>
                Results.Ok(await s.CreateAsync(r.Name, r.Scopes, userId: null, ct: ct)))
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "ApiClient"));
        clients.MapPost("/{id}/deactivate", async (string id, ApiClientService s, CancellationToken ct) =>
            { await s.DeactivateAsync(id, ct); return Results.NoContent(); })
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "ApiClient"));

        // A staff member's own script client: it acts as that user (user/ scopes), never with more than the user's role allows.
        app.MapPost("/api/identity/me/clients", async (CreateClientRequest r, ApiClientService s, ICurrentActor actor, CancellationToken ct) =>
                Results.Ok(await s.CreateAsync(r.Name, r.Scopes, actor.UserId ?? throw new SharedKernel.Errors.ForbiddenException("Only a signed-in staff user can register a personal client."), ct: ct)))
            .RequireAuthorization(p => p.RequireAuthenticatedUser().RequireClaim("meridian:user"))
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "ApiClient"));
    }
}
