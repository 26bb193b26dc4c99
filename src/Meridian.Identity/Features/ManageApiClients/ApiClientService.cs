using System.Security.Cryptography;
using Meridian.Audit.Contracts;
using Meridian.Identity.Data;
using Meridian.Identity.Domain;
using Meridian.Identity.Security;
using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Identity.Features.ManageApiClients;

public sealed record CreatedApiClient(string ClientId, string ClientSecret, string AllowedScopes);

public sealed record ApiClientView(string ClientId, string Name, string AllowedScopes, bool IsActive, DateTime CreatedAt);

/// <summary>Registers and deactivates OAuth clients. The secret is returned once and stored only as a hash.</summary>
public sealed class ApiClientService
{
    private readonly MeridianIdentityDbContext _db;
    private readonly IPasswordHasher<ApiClient> _hasher;
    private readonly IAuditTrail _audit;
    private readonly AccessStateCache _access;
    private readonly TimeProvider _time;

    internal ApiClientService(MeridianIdentityDbContext db, IPasswordHasher<ApiClient> hasher, IAuditTrail audit, AccessStateCache access, TimeProvider time)
    {
        _db = db; _hasher = hasher; _audit = audit; _access = access; _time = time;
    }

    public async Task<CreatedApiClient> CreateAsync(string name, string allowedScopes, string? userId, string? clientId = null, string? secret = null, CancellationToken ct = default)
    {
        var v = new Validator().Required("name", name).MaxLength("name", name, 200);
        var scopes = allowedScopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var context = userId is null ? "system" : "user";
        if (scopes.Length == 0) v.Add("scopes", "at least one scope is required.");
        foreach (var s in scopes)
            if (SmartScopes.Parse(s)?.Context != context) v.Add("scopes", $"'{s}' is not a {context}/ SMART v2 scope Meridian supports.");
        v.ThrowIfInvalid();
        if (userId is not null && !await _db.Users.AnyAsync(u => u.Id == userId, ct)) throw new NotFoundException("No such user.");
        clientId ??= (userId is null ? "svc-" : "usr-") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        if (await _db.ApiClients.AnyAsync(c => c.ClientId == clientId, ct)) throw new ConflictException($"Client '{clientId}' already exists.");
        secret ??= Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var client = new ApiClient
        {
            ClientId = clientId, Name = name, AllowedScopes = string.Join(' ', scopes), UserId = userId,
            CreatedAt = _time.GetUtcNow().UtcDateTime,
        };
        client.SecretHash = _hasher.HashPassword(client, secret);
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        _db.ApiClients.Add(client);
        await _db.SaveChangesAsync(ct);
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "ApiClient", clientId, Detail: $"client registered with scopes {client.AllowedScopes}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return new CreatedApiClient(clientId, secret, client.AllowedScopes);
    }

    public async Task DeactivateAsync(string clientId, CancellationToken ct = default)
    {
        var client = await _db.ApiClients.FirstOrDefaultAsync(c => c.ClientId == clientId, ct) ?? throw new NotFoundException("No such client.");
        await using var tx = await _db.Database.BeginTransactionAsync(ct);
        client.IsActive = false;
        await _db.SaveChangesAsync(ct);
        await _audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "ApiClient", clientId, Detail: "client deactivated"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        _access.Invalidate("c:" + clientId);
    }

    /// <summary>A staff user's own script clients (the account page).</summary>
    public async Task<IReadOnlyList<ApiClientView>> ListForUserAsync(string userId, CancellationToken ct = default) =>
        await _db.ApiClients.AsNoTracking().Where(c => c.UserId == userId).OrderBy(c => c.CreatedAt)
            .Select(c => new ApiClientView(c.ClientId, c.Name, c.AllowedScopes, c.IsActive, c.CreatedAt)).ToListAsync(ct);

    /// <summary>Deactivates one of the user's own clients; another user's client is "not found" to them.</summary>
    public async Task DeactivateOwnAsync(string userId, string clientId, CancellationToken ct = default)
    {
        if (!await _db.ApiClients.AnyAsync(c => c.ClientId == clientId && c.UserId == userId, ct)) throw new NotFoundException("No such client.");
        await DeactivateAsync(clientId, ct);
    }
}
