using Meridian.Audit.Contracts;
using Meridian.Audit.Data;
using Meridian.Audit.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Meridian.SharedKernel.Security;

namespace Meridian.Audit.Features;

/// <summary>A break in the chain: <see cref="Sequence"/> is the audit record's number (its id) where known, else the seal's.</summary>
public sealed record AuditChainProblem(long Sequence, string Kind, string Message);

public sealed record AuditChainReport(bool Intact, long RecordsChecked, long? LastSequence, IReadOnlyList<AuditChainProblem> Problems)
{
    public string Summary => Intact
        ? $"Audit trail intact: {RecordsChecked} records, chain verified through seal #{LastSequence}."
        : $"Audit trail BROKEN: {Problems.Count} problem(s); first at #{Problems[0].Sequence}: {Problems[0].Message}";
}

/// <summary>
/// Seals whatever is pending, then walks the whole chain in order and recomputes every hash. It says where the chain breaks
/// and how: an altered record (its content no longer matches the hash sealed for it), a deleted record (its seal points to
/// nothing), a deleted seal (a gap in the seal numbers), an inserted, removed or re-linked seal (a link to the wrong
/// predecessor), and a record that is in the table but in no seal.
/// </summary>
public sealed class VerifyAuditChain
{
    private readonly AuditDbContext _db;
    private readonly AuditSealer _sealer;

    internal VerifyAuditChain(AuditDbContext db, AuditSealer sealer)
    {
        _db = db;
        _sealer = sealer;
    }

    public async Task<AuditChainReport> RunAsync(int maxProblems = 100, CancellationToken ct = default)
    {
        await _sealer.SealEverythingAsync(ct);
        var problems = new List<AuditChainProblem>();
        long expected = 1, checkedCount = 0;
        long? lastSeq = null;
        var previousHash = AuditSeal.GenesisHash;
        var rows = from s in _db.Seals.AsNoTracking()
                   join r in _db.Records.AsNoTracking() on s.RecordId equals r.Id into records
                   from r in records.DefaultIfEmpty()
                   orderby s.Sequence
                   select new { Seal = s, Record = r };
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            var s = row.Seal;
            checkedCount++;
            if (s.Sequence != expected)
                problems.Add(s.Sequence > expected
                    ? new(s.RecordId, "deleted", $"Seal(s) #{expected}–#{s.Sequence - 1} are missing (deleted) before record #{s.RecordId}.")
                    : new(s.RecordId, "inserted", $"Seal #{s.Sequence} of record #{s.RecordId} is out of order (inserted)."));
            if (s.PreviousHash != previousHash || s.ComputeHash() != s.Hash)
                problems.Add(new(s.RecordId, "link", $"The seal of record #{s.RecordId} does not link to the seal before it (a seal was changed, removed or inserted)."));
            if (row.Record is not { } r)
                problems.Add(new(s.RecordId, "deleted", $"Record #{s.RecordId} was deleted: it is sealed in the chain but no longer in the trail."));
            else if (r.ComputeContentHash() != s.ContentHash || r.ContentHash != s.ContentHash)
                problems.Add(new(r.Id, "altered", $"Record #{r.Id} was altered: its content no longer matches the hash sealed for it."));
            previousHash = s.Hash;
            expected = s.Sequence + 1;
            lastSeq = s.Sequence;
            if (problems.Count >= maxProblems) break;
        }
        if (problems.Count < maxProblems)
        {
            var unsealed = await _db.Records.AsNoTracking().Where(r => !_db.Seals.Any(s => s.RecordId == r.Id))
                .OrderBy(r => r.Id).Select(r => r.Id).Take(maxProblems - problems.Count).ToListAsync(ct);
            problems.AddRange(unsealed.Select(id => new AuditChainProblem(id, "unsealed", $"Record #{id} is in no seal of the chain.")));
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
