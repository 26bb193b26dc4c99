using System.Data.Common;

namespace Meridian.Audit.Contracts;

/// <summary>What happened. Covers data access (CRUD, search, export, print) and security events.</summary>
public enum AuditAction
{
    Create,
    Read,
    Update,
    Delete,
    Search,
    Export,
    Print,
    Merge,
    SignIn,
    SignInFailed,
    SignOut,
    PrivilegeChange,
    TokenIssued,
    TokenDenied,
    Verify,
}

public enum AuditOutcome
{
    Success,
    Denied,
    Failed,
}

/// <summary>
/// One audited event as a module reports it. Who acted (user, role, client, source address) is taken from
/// the request; a security event about a user who is not (yet) signed in names that user explicitly.
/// </summary>
public sealed record AuditEntry(
    AuditAction Action,
    string ResourceType,
    string? ResourceId = null,
    string? PatientId = null,
    AuditOutcome Outcome = AuditOutcome.Success,
    string? Detail = null)
{
    public string? UserIdOverride { get; init; }
    public string? UserNameOverride { get; init; }
    public string? RoleOverride { get; init; }
    public string? ClientIdOverride { get; init; }
}

/// <summary>
/// The audit trail. A write records its audit entry inside its own transaction (pass it), so the work and its
/// audit commit or roll back together; a read passes no transaction and its entry is committed before the data
/// is returned to the caller.
/// </summary>
public interface IAuditTrail
{
    Task RecordAsync(AuditEntry entry, DbTransaction transaction, CancellationToken ct = default);
    Task RecordAsync(AuditEntry entry, CancellationToken ct = default);
    Task RecordManyAsync(IReadOnlyList<AuditEntry> entries, DbTransaction? transaction, CancellationToken ct = default);
}

/// <summary>Endpoint metadata: the audit event an endpoint produces. An endpoint under /api or /fhir without it fails a test.</summary>
public sealed record AuditedAttribute(AuditAction Action, string ResourceType);

public sealed record AuditRecordView(
    long Sequence,
    DateTimeOffset OccurredAt,
    string? UserId,
    string? UserName,
    string? Role,
    string? ClientId,
    string? PatientId,
    string Action,
    string ResourceType,
    string? ResourceId,
    string Outcome,
    string? SourceAddress,
    string? Detail);

public sealed record AuditQuery(
    string? PatientId = null,
    string? User = null,
    string? Action = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? ResourceType = null,
    string Sort = "-time",
    int Offset = 0,
    int Count = 50);

/// <summary>Read side, for the audit report and FHIR AuditEvent search.</summary>
public interface IAuditReader
{
    Task<(IReadOnlyList<AuditRecordView> Items, int Total)> SearchAsync(AuditQuery query, CancellationToken ct = default);
}
