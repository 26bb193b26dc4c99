using Meridian.Identity.Data;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Identity.Features;

/// <summary>
/// Demo practice staff: one user per role, with the passwords shown on the sign-in page (demo mode only), and the
/// confidential backend client <c>demo-backend</c> / <c>demo-secret</c> with system-level access.
/// </summary>
public static class DemoStaff
{
    public static readonly IReadOnlyList<(string Email, string Name, string Role, string Password)> Users =
    [
        ("admin@demo.meridian.test", "Alex Admin", Roles.Administrator, "Demo-Admin-2026"),
        ("doctor@demo.meridian.test", "Dr. Priya Raman", Roles.Physician, "Demo-Doctor-2026"),
        ("nurse@demo.meridian.test", "Sam Okafor, RN", Roles.Nurse, "Demo-Nurse-2026"),
        ("frontdesk@demo.meridian.test", "Jordan Lee", Roles.FrontDesk, "Demo-Front-2026"),
        ("biller@demo.meridian.test", "Morgan Diaz", Roles.Biller, "Demo-Biller-2026"),
    ];

    public const string BackendClientId = "demo-backend";
    public const string BackendClientSecret = "demo-secret";
}

internal sealed class DemoIdentitySeeder(MeridianIdentityDbContext db, ManageUsersHandler users, ApiClientService clients) : IDemoSeeder
{
    public int Order => 10;

    public async Task SeedAsync(CancellationToken ct)
    {
        await users.EnsureRolesAsync(ct);
        foreach (var (email, name, role, password) in DemoStaff.Users)
            if (!await db.Users.AnyAsync(u => u.Email == email, ct))
                await users.CreateAsync(email, name, role, password, ct);
        if (!await db.ApiClients.AnyAsync(c => c.ClientId == DemoStaff.BackendClientId, ct))
            await clients.CreateAsync("Demo backend service", "system/*.cruds", userId: null,
                clientId: DemoStaff.BackendClientId, secret: DemoStaff.BackendClientSecret, ct: ct);
    }
}
