using Microsoft.AspNetCore.Identity;

namespace Meridian.Identity.Domain;

/// <summary>A staff member who signs in. One role per user (Roles); access follows the role's permissions.</summary>
public sealed class StaffUser : IdentityUser
{
    public string DisplayName { get; set; } = "";
    /// <summary>A deactivated user keeps their history (audit names them) but loses every session and token at once.</summary>
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// A registered OAuth 2.0 client. A backend client (UserId null) gets SMART v2 <c>system/</c> scopes; a staff user's
/// script client (UserId set) acts as that user and never exceeds the user's own permissions.
/// </summary>
public sealed class ApiClient
{
    public string ClientId { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>PBKDF2 hash via ASP.NET Core Identity's password hasher; the secret itself is shown once, at creation.</summary>
    public string SecretHash { get; set; } = "";
    /// <summary>Space-separated scopes the client may request, e.g. "system/*.cruds".</summary>
    public string AllowedScopes { get; set; } = "";
    public string? UserId { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
}

/// <summary>The RSA key that signs access tokens (RS256). Kept in the database so every host and restart shares it.</summary>
public sealed class SigningKey
{
    public string KeyId { get; set; } = "";
    public string PrivateKeyPem { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; } = true;
}

/// <summary>An ASP.NET Core Data Protection key (protects sign-in cookies and MFA tokens); shared by every host via the database.</summary>
public sealed class DataProtectionKey
{
    public int Id { get; set; }
    public string? FriendlyName { get; set; }
    public string Xml { get; set; } = "";
}
