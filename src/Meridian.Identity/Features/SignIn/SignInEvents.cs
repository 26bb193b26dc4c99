using Meridian.Audit.Contracts;
using Meridian.Identity.Domain;
using Microsoft.AspNetCore.Identity;

namespace Meridian.Identity.Features.SignIn;

/// <summary>
/// Audit records for sign-in, failed sign-in, lockout and sign-out. During a sign-in the request is still anonymous, so the
/// record names the user explicitly (the e-mail typed, for an unknown account).
/// </summary>
internal sealed class SignInEvents(IAuditTrail audit, UserManager<StaffUser> users)
{
    public async Task SucceededAsync(StaffUser user, string how, CancellationToken ct = default) =>
        await audit.RecordAsync(new AuditEntry(AuditAction.SignIn, "StaffUser", user.Id, Detail: how)
        {
            UserIdOverride = user.Id, UserNameOverride = user.UserName, RoleOverride = await RoleAsync(user),
        }, ct);

    public async Task FailedAsync(StaffUser? user, string typedName, string reason, AuditOutcome outcome = AuditOutcome.Failed, CancellationToken ct = default) =>
        await audit.RecordAsync(new AuditEntry(AuditAction.SignInFailed, "StaffUser", user?.Id, Outcome: outcome, Detail: reason)
        {
            UserIdOverride = user?.Id, UserNameOverride = user?.UserName ?? typedName, RoleOverride = user is null ? null : await RoleAsync(user),
        }, ct);

    public Task SignedOutAsync(string detail, CancellationToken ct = default) =>
        audit.RecordAsync(new AuditEntry(AuditAction.SignOut, "StaffUser", Detail: detail), ct);

    private async Task<string?> RoleAsync(StaffUser user) => (await users.GetRolesAsync(user)).FirstOrDefault();
}

internal static class LocalUrl
{
    /// <summary>Only a path on this site may be a return URL (no open redirect: "//host" and "/\host" are refused).</summary>
    public static string OrHome(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) &&
        !url.StartsWith("/logout", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("/login", StringComparison.OrdinalIgnoreCase)
            ? url
            : "/";
}
