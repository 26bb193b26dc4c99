using System.Security.Claims;
using System.Security.Cryptography;
using Meridian.Identity.Data;
using Meridian.Identity.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Meridian.Identity.Security;

public sealed class AccessTokenOptions
{
    /// <summary>Access token lifetime. SMART Backend Services recommends at most five minutes.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);
    public string Issuer { get; set; } = "meridian";
    public string Audience { get; set; } = "meridian-api";
}

/// <summary>
/// Issues and validates RS256-signed JWT access tokens (RFC 9068 profile: iss, sub, aud, exp, iat, jti, client_id, scope).
/// The signing key lives in the identity schema, created on first use, so tokens survive restarts and work across hosts.
/// </summary>
internal sealed class TokenService(IServiceScopeFactory scopes, TimeProvider time, Microsoft.Extensions.Options.IOptions<AccessTokenOptions> options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RsaSecurityKey? _key;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public AccessTokenOptions Options => options.Value;

    private async Task<RsaSecurityKey> KeyAsync(CancellationToken ct)
    {
        if (_key is not null) return _key;
        await _gate.WaitAsync(ct);
        try
        {
            if (_key is not null) return _key;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<MeridianIdentityDbContext>();
            var stored = await db.SigningKeys.AsNoTracking().Where(k => k.IsActive).OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(ct);
            if (stored is null)
            {
                using var rsa = RSA.Create(2048);
                stored = new SigningKey
                {
                    KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                    PrivateKeyPem = rsa.ExportPkcs8PrivateKeyPem(),
                    CreatedAt = time.GetUtcNow().UtcDateTime,
                };
                db.SigningKeys.Add(stored);
                try { await db.SaveChangesAsync(ct); }
                catch (DbUpdateException)
                {
                    // Another host created the key first: use theirs.
                    db.ChangeTracker.Clear();
                    stored = await db.SigningKeys.AsNoTracking().Where(k => k.IsActive).OrderByDescending(k => k.CreatedAt).FirstAsync(ct);
                }
            }
            var key = RSA.Create();
            key.ImportFromPem(stored.PrivateKeyPem);
            _key = new RsaSecurityKey(key) { KeyId = stored.KeyId };
            return _key;
        }
        finally { _gate.Release(); }
    }

    public async Task<(string Token, int ExpiresIn)> IssueAsync(IEnumerable<Claim> claims, CancellationToken ct)
    {
        var key = await KeyAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Options.Issuer,
            Audience = Options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Options.AccessTokenLifetime,
            Subject = new ClaimsIdentity(claims.Append(new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")))),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            TokenType = "at+jwt",
        };
        return (_handler.CreateToken(descriptor), (int)Options.AccessTokenLifetime.TotalSeconds);
    }

    // Signature checks are the costliest step of an API call; a token verified once is remembered until it expires.
    // Revocation (deactivation, sign-out everywhere) is checked on every request regardless, by the handler.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ClaimsIdentity Identity, DateTime Expires)> _verified = new(StringComparer.Ordinal);
    private const int MaxVerified = 20_000;

    public async Task<ClaimsIdentity?> ValidateCachedAsync(string token, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (_verified.TryGetValue(token, out var hit))
        {
            if (hit.Expires > now) return hit.Identity;
            _verified.TryRemove(token, out _);
            return null;
        }
        var identity = await ValidateAsync(token, ct);
        if (identity?.FindFirst("exp")?.Value is { } exp && long.TryParse(exp, out var seconds))
        {
            if (_verified.Count >= MaxVerified) _verified.Clear();
            _verified[token] = (identity, DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime);
        }
        return identity;
    }

    public async Task<ClaimsIdentity?> ValidateAsync(string token, CancellationToken ct)
    {
        var key = await KeyAsync(ct);
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Options.Issuer,
            ValidAudience = Options.Audience,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } exp && exp > time.GetUtcNow().UtcDateTime - p.ClockSkew &&
                (notBefore is null || notBefore <= time.GetUtcNow().UtcDateTime + p.ClockSkew),
            NameClaimType = "name",
            RoleClaimType = "role",
        });
        return result.IsValid ? result.ClaimsIdentity : null;
    }
}
