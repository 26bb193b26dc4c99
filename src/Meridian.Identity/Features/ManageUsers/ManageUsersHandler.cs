using Meridian.Audit.Contracts;
using Meridian.Identity.Data;
using Meridian.Identity.Domain;
using Meridian.Identity.Security;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Identity.Features.ManageUsers;

public sealed record StaffUserView(string Id, string Email, string DisplayName, string Role, bool IsActive, bool MfaEnabled, DateTimeOffset? LockedOutUntil);

/// <summary>
/// Staff accounts: create, change role, deactivate, sign out everywhere. Every change is a privilege change in the audit
/// trail, written in the same transaction, and revokes the user's sessions and tokens at once (security stamp).
/// </summary>
public sealed class ManageUsersHandler
{
    private readonly UserManager<StaffUser> _users;
    private readonly MeridianIdentityDbContext _db;
    private readonly IAuditTrail _audit;
    private readonly AccessStateCache _access;
    private readonly TimeProvider _time;

    internal ManageUsersHandler(UserManager<StaffUser> users, MeridianIdentityDbContext db, IAuditTrail audit, AccessStateCache access, TimeProvider time)
    {
        _users = users; _db = db; _audit = audit; _access = access; _time = time;
    }

    public async Task<IReadOnlyList<StaffUserView>> ListAsync(CancellationToken ct = default)
    {
        var rows = await (from u in _db.Users
                          join ur in _db.UserRoles on u.Id equals ur.UserId into urs
                          from ur in urs.DefaultIfEmpty()
                          join r in _db.Roles on ur.RoleId equals r.Id into rs
                          from r in rs.DefaultIfEmpty()
                          orderby u.DisplayName
                          select new { u.Id, u.Email, u.DisplayName, Role = r != null ? r.Name : null, u.IsActive, u.TwoFactorEnabled, u.LockoutEnd })
            .AsNoTracking().ToListAsync(ct);
        return rows.Select(u => new StaffUserView(u.Id, u.Email ?? "", u.DisplayName, u.Role ?? "", u.IsActive, u.TwoFactorEnabled,
            u.LockoutEnd is { } l && l > _time.GetUtcNow() ? l : null)).ToList();
    }

    public async Task<StaffUserView> CreateAsync(string email, string displayName, string role, string password, CancellationToken ct = default)
    {
        var v = new Validator().Required("email", email).MaxLength("email", email, 256).Required("displayName", displayName)
            .MaxLength("displayName", displayName, 200)
            .When(!Roles.All.Contains(role), "role", $"must be one of {string.Join(", ", Roles.All)}.")
            .When(!string.IsNullOrEmpty(email) && !System.Net.Mail.MailAddress.TryCreate(email, out _), "email", "is not a valid e-mail address.");
        v.ThrowIfInvalid();
        await EnsureRolesAsync(ct);
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        var user = new StaffUser { UserName = email, Email = email, DisplayName = displayName, CreatedAt = _time.GetUtcNow().UtcDateTime, EmailConfirmed = true };
        Check(await _users.CreateAsync(user, password));
        Check(await _users.AddToRoleAsync(user, role));
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "StaffUser", user.Id, Detail: $"user {email} created with role {role}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return new StaffUserView(user.Id, email, displayName, role, true, false, null);
    }

    /// <summary>A fresh production install has no default password: the first Administrator is created by this command.</summary>
    public async Task<StaffUserView> CreateFirstAdministratorAsync(string email, string displayName, string password, CancellationToken ct = default)
    {
        await EnsureRolesAsync(ct);
        if ((await _users.GetUsersInRoleAsync(Roles.Administrator)).Count > 0)
            throw new ConflictException("An Administrator already exists; further users are created from the user administration page.");
        return await CreateAsync(email, displayName, Roles.Administrator, password, ct);
    }

    public async Task ChangeRoleAsync(string userId, string role, CancellationToken ct = default)
    {
        if (!Roles.All.Contains(role)) throw ValidationFailedException.For("role", $"must be one of {string.Join(", ", Roles.All)}.");
        var user = await _users.FindByIdAsync(userId) ?? throw new NotFoundException("No such user.");
        var current = await _users.GetRolesAsync(user);
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        Check(await _users.RemoveFromRolesAsync(user, current));
        Check(await _users.AddToRoleAsync(user, role));
        Check(await _users.UpdateSecurityStampAsync(user));
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "StaffUser", user.Id,
            Detail: $"role of {user.Email} changed from {string.Join('/', current)} to {role}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        _access.Invalidate("u:" + userId);
    }

    public async Task SetActiveAsync(string userId, bool active, CancellationToken ct = default)
    {
        var user = await _users.FindByIdAsync(userId) ?? throw new NotFoundException("No such user.");
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        user.IsActive = active;
        Check(await _users.UpdateAsync(user));
        Check(await _users.UpdateSecurityStampAsync(user));
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "StaffUser", user.Id,
            Detail: $"user {user.Email} {(active ? "reactivated" : "deactivated")}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        _access.Invalidate("u:" + userId);
    }

    /// <summary>Ends every session and token of the user (new security stamp); they must sign in again.</summary>
    public async Task SignOutEverywhereAsync(string userId, CancellationToken ct = default)
    {
        var user = await _users.FindByIdAsync(userId) ?? throw new NotFoundException("No such user.");
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        Check(await _users.UpdateSecurityStampAsync(user));
        await _audit.RecordAsync(new AuditEntry(AuditAction.SignOut, "StaffUser", user.Id, Detail: $"all sessions of {user.Email} ended"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        _access.Invalidate("u:" + userId);
    }

    /// <summary>Lifts a lockout after repeated failed sign-ins before it runs out.</summary>
    public async Task UnlockAsync(string userId, CancellationToken ct = default)
    {
        var user = await _users.FindByIdAsync(userId) ?? throw new NotFoundException("No such user.");
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        Check(await _users.SetLockoutEndDateAsync(user, null));
        Check(await _users.ResetAccessFailedCountAsync(user));
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "StaffUser", user.Id, Detail: $"user {user.Email} unlocked"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        _access.Invalidate("u:" + userId);
    }

    /// <summary>Changes one's own password (the current one is required); other sessions end, as the security stamp changes.</summary>
    public async Task ChangeOwnPasswordAsync(string userId, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        var user = await _users.FindByIdAsync(userId) ?? throw new NotFoundException("No such user.");
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        var result = await _users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (result.Errors.Any(e => e.Code == "PasswordMismatch")) throw ValidationFailedException.For("currentPassword", "is not your current password.");
        Check(result);
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "StaffUser", user.Id, Detail: "password changed"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        _access.Invalidate("u:" + userId);
    }

    internal async Task EnsureRolesAsync(CancellationToken ct)
    {
        var existing = await _db.Roles.Where(r => r.Name != null).Select(r => r.Name!).ToListAsync(ct);
        foreach (var role in Roles.All.Except(existing))
            _db.Roles.Add(new IdentityRole(role) { NormalizedName = role.ToUpperInvariant(), ConcurrencyStamp = Guid.NewGuid().ToString() });
        await _db.SaveChangesAsync(ct);
    }

    private static void Check(IdentityResult result)
    {
        if (result.Succeeded) return;
        var errors = result.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password" :
                e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email" : "user")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
        if (errors.ContainsKey("email") && result.Errors.Any(e => e.Code.StartsWith("Duplicate", StringComparison.Ordinal)))
            throw new ConflictException("A user with this e-mail address already exists.");
        throw new ValidationFailedException(errors);
    }
}
