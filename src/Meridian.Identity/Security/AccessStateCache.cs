using System.Collections.Concurrent;
using Meridian.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Security;

/// <summary>
/// Whether a token's subject (staff user or client) may still act, checked on every request so that deactivation and
/// "sign out everywhere" take effect at once. Entries are cached briefly for throughput and dropped immediately by
/// <see cref="Invalidate"/> whenever this host changes a user or client; the short lifetime bounds staleness when
/// several hosts share one database.
/// </summary>
internal sealed class AccessStateCache(IServiceScopeFactory scopes, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (bool Active, string? Stamp, DateTimeOffset LoadedAt)> _entries = new();

    public void Invalidate(string key) => _entries.TryRemove(key, out _);

    public async ValueTask<(bool Active, string? Stamp)> UserAsync(string userId, CancellationToken ct)
    {
        var key = "u:" + userId;
        if (_entries.TryGetValue(key, out var e) && time.GetUtcNow() - e.LoadedAt < Lifetime) return (e.Active, e.Stamp);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeridianIdentityDbContext>();
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.IsActive, u.SecurityStamp, u.LockoutEnd }).FirstOrDefaultAsync(ct);
        var active = user is not null && user.IsActive && (user.LockoutEnd is null || user.LockoutEnd <= time.GetUtcNow());
        _entries[key] = (active, user?.SecurityStamp, time.GetUtcNow());
        return (active, user?.SecurityStamp);
    }

    public async ValueTask<bool> ClientAsync(string clientId, CancellationToken ct)
    {
        var key = "c:" + clientId;
        if (_entries.TryGetValue(key, out var e) && time.GetUtcNow() - e.LoadedAt < Lifetime) return e.Active;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeridianIdentityDbContext>();
        var active = await db.ApiClients.AsNoTracking().AnyAsync(c => c.ClientId == clientId && c.IsActive, ct);
        _entries[key] = (active, null, time.GetUtcNow());
        return active;
    }
}
