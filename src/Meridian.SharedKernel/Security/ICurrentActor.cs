namespace Meridian.SharedKernel.Security;

/// <summary>Who is acting on this request: a signed-in staff user, a staff user's token, or a backend client.</summary>
public interface ICurrentActor
{
    string? UserId { get; }
    string? UserName { get; }
    /// <summary>The staff role (one per user), or "system" for a backend client.</summary>
    string? Role { get; }
    string? ClientId { get; }
    string? SourceAddress { get; }
    bool IsAuthenticated { get; }
    bool Has(string permission);
}
