using Meridian.Audit.Contracts;
using Meridian.Audit.Data;
using Meridian.Audit.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Meridian.SharedKernel.Security;

namespace Meridian.Audit.Features;

public sealed record AuditChainProblem(long Sequence, string Kind, string Message);

public sealed record AuditChainReport(bool Intact, long RecordsChecked, long? LastSequence, IReadOnlyList<AuditChainProblem> Problems)
{
    public string Summary => Intact
        ? $"Audit trail intact: {RecordsChecked} records, chain verified through #{LastSequence}."
        : $"Audit trail BROKEN: {Problems.Count} problem(s); first at #{Problems[0].Sequence}: {Problems[0].Message}";
}

/// <summary>
/// Walks the whole chain in sequence order and recomputes every hash. It says where the chain breaks and how:
/// an altered record (its own hash no longer matches its content), a deleted one (a gap in the sequence,
/// and the next record's link no longer matches), an inserted or re-linked one (a link to the wrong predecessor).
/// </summary>
public sealed class VerifyAuditChain
{
    private readonly AuditDbContext _db;
    internal VerifyAuditChain(AuditDbContext db) => _db = db;

    public async Task<AuditChainReport> RunAsync(int maxProblems = 100, CancellationToken ct = default)
    {
        var problems = new List<AuditChainProblem>();
        long expected = 1;
        long checkedCount = 0;
        long? lastSeq = null;
        var previousHash = AuditRecord.GenesisHash;
        await foreach (var r in _db.Records.AsNoTracking().OrderBy(r => r.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            checkedCount++;
            if (r.Sequence != expected)
            {
                problems.Add(r.Sequence > expected
                    ? new(expected, "deleted", $"Record(s) #{expected}–#{r.Sequence - 1} are missing (deleted).")
                    : new(r.Sequence, "inserted", $"Record #{r.Sequence} is out of order (inserted)."));
            }
            if (r.ComputeHash() != r.Hash)
                problems.Add(new(r.Sequence, "altered", $"Record #{r.Sequence} was altered: its content no longer matches its hash."));
            if (r.PreviousHash != previousHash)
                problems.Add(new(r.Sequence, "link", $"Record #{r.Sequence} does not link to the record before it (a record before it was changed, removed or inserted)."));
            previousHash = r.Hash;
            expected = r.Sequence + 1;
            lastSeq = r.Sequence;
            if (problems.Count >= maxProblems) break;
        }
        return new AuditChainReport(problems.Count == 0, checkedCount, lastSeq, problems);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/audit/verify", async (VerifyAuditChain verify, IAuditTrail audit, CancellationToken ct) =>
            {
                var report = await verify.RunAsync(ct: ct);
                await audit.RecordAsync(new AuditEntry(AuditAction.Verify, "AuditTrail",
                    Outcome: AuditOutcome.Success, Detail: report.Summary), ct);
                return Results.Ok(report);
            })
            .RequireAuthorization(Permissions.AuditRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Verify, "AuditTrail"));
}
