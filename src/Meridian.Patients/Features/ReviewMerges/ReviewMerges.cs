using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Features.ReviewMerges;

public sealed record MergedPatientRef(PatientId Id, string Mrn, string Name, DateOnly BirthDate);

public sealed record MergeSummary(Guid Id, DateTimeOffset MergedAt, string? MergedBy, string Reason, MergedPatientRef Survivor, MergedPatientRef Merged);

/// <summary>A merge with both records exactly as they were before it.</summary>
public sealed record MergeReview(MergeSummary Merge, PatientSnapshot SurvivorBefore, PatientSnapshot MergedBefore);

/// <summary>Lists merges (newest first) and shows one for review. Viewing the snapshots is a read of both patients.</summary>
internal sealed class ReviewMergesHandler(PatientStore store, IAuditTrail audit)
{
    public async Task<Page<MergeSummary>> ListAsync(int offset, int count, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientMerge);
        if (count is < 1 or > 100) throw ValidationFailedException.For("count", "must be between 1 and 100.");
        if (offset < 0) throw ValidationFailedException.For("offset", "must not be negative.");
        var rows = await store.Db.Merges.AsNoTracking().OrderByDescending(m => m.Id) // version-7 ids sort by creation time; SQLite cannot ORDER BY a DateTimeOffset
            .Skip(offset).Take(count + 1).ToListAsync(ct);
        var page = rows.Take(count).ToList();
        var ids = page.SelectMany(m => new[] { m.SurvivorId, m.MergedId }).Distinct().ToList();
        var patients = await store.Db.Patients.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "PatientMerge", Detail: $"offset={offset}&count={count}"), ct);
        var items = page.Select(m => Summary(m, patients)).ToList();
        return new Page<MergeSummary>(items, offset, count, rows.Count > count ? null : offset + items.Count);
    }

    public async Task<MergeReview> GetAsync(Guid id, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientMerge);
        var merge = await store.Db.Merges.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct) ?? throw new NotFoundException($"Merge {id} was not found.");
        var patients = await store.Db.Patients.AsNoTracking().Where(p => p.Id == merge.SurvivorId || p.Id == merge.MergedId).ToDictionaryAsync(p => p.Id, ct);
        await audit.RecordManyAsync(
        [
            new AuditEntry(AuditAction.Read, "PatientMerge", merge.Id.ToString(), merge.SurvivorId.ToString(), Detail: "merge review"),
            new AuditEntry(AuditAction.Read, "PatientMerge", merge.Id.ToString(), merge.MergedId.ToString(), Detail: "merge review"),
        ], null, ct);
        return new MergeReview(Summary(merge, patients),
            PatientMapping.FromJson<PatientSnapshot>(merge.SurvivorSnapshot)!, PatientMapping.FromJson<PatientSnapshot>(merge.MergedSnapshot)!);
    }

    private static MergeSummary Summary(PatientMerge m, IReadOnlyDictionary<Guid, Patient> patients)
    {
        MergedPatientRef Ref(Guid id) => patients.TryGetValue(id, out var p)
            ? new MergedPatientRef(new PatientId(p.Id), p.Mrn, PatientMapping.DisplayName(p), p.BirthDate)
            : new MergedPatientRef(new PatientId(id), "", "", default);
        return new MergeSummary(m.Id, m.MergedAt, m.MergedByUserName, m.Reason, Ref(m.SurvivorId), Ref(m.MergedId));
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/patients/merges", async (int? offset, int? count, ReviewMergesHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.ListAsync(offset ?? 0, count ?? 20, ct)))
            .RequireAuthorization(Permissions.PatientMerge)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "PatientMerge"));
        app.MapGet("/api/patients/merges/{id:guid}", async (Guid id, ReviewMergesHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.GetAsync(id, ct)))
            .RequireAuthorization(Permissions.PatientMerge)
            .WithMetadata(new AuditedAttribute(AuditAction.Read, "PatientMerge"));
    }
}
