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
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Patients.Features.MergePatients;

public sealed record MergePatientsRequest(Guid SurvivorId, Guid MergedId, string? Reason, int? SurvivorVersion = null, int? MergedVersion = null);

public sealed record MergeResult(Guid MergeId, PatientSnapshot Survivor, PatientSnapshot Merged);

/// <summary>
/// Merges a duplicate into the record that survives. Nothing is deleted or moved: the merged record becomes inactive
/// with merged_into set (its history, coverages and audit trail stay attached to it), readers are pointed at the
/// survivor, and a merge record keeps who/when/why with both records as they were, for review.
/// (This mirrors FHIR's Patient.link "replaced-by"/"replaces" rather than a destructive merge.)
/// </summary>
internal sealed class MergePatientsHandler(PatientStore store, IAuditTrail audit, TimeProvider time)
{
    public async Task<MergeResult> HandleAsync(MergePatientsRequest request, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientMerge);
        var v = new Validator();
        if (request.SurvivorId == Guid.Empty) v.Add("survivorId", "is required.");
        if (request.MergedId == Guid.Empty) v.Add("mergedId", "is required.");
        if (request.SurvivorId == request.MergedId && request.SurvivorId != Guid.Empty) v.Add("mergedId", "must differ from the survivor.");
        v.Required("reason", request.Reason).MaxLength("reason", request.Reason, Limits.Text);
        if (request.Reason is { } r && r.Any(char.IsControl)) v.Add("reason", "must not contain control characters.");
        v.ThrowIfInvalid();

        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var survivor = await store.LoadAsync(request.SurvivorId, tracked: true, ct) ?? throw new NotFoundException($"Patient {request.SurvivorId} was not found.");
        var merged = await store.LoadAsync(request.MergedId, tracked: true, ct) ?? throw new NotFoundException($"Patient {request.MergedId} was not found.");
        if (survivor.MergedIntoId is not null) throw new ConflictException($"The survivor {survivor.Mrn} was itself merged into another record; merge into that one.");
        if (merged.MergedIntoId is not null) throw new ConflictException($"{merged.Mrn} is already merged.");
        if (request.SurvivorVersion is { } sv && sv != survivor.Version) throw PatientStore.Stale("surviving record", survivor.Version);
        if (request.MergedVersion is { } mv && mv != merged.Version) throw PatientStore.Stale("merged record", merged.Version);

        var now = time.GetUtcNow();
        var before = (Survivor: PatientMapping.Snapshot(survivor, survivor.Coverages), Merged: PatientMapping.Snapshot(merged, merged.Coverages));
        var merge = new PatientMerge
        {
            Id = TypedIds.NewGuid(time),
            SurvivorId = survivor.Id,
            MergedId = merged.Id,
            Reason = request.Reason!.Trim(),
            MergedAt = now,
            MergedByUserId = store.Actor.UserId ?? store.Actor.ClientId,
            MergedByUserName = store.Actor.UserName ?? store.Actor.ClientId,
            SurvivorSnapshot = PatientMapping.ToJson(before.Survivor)!,
            MergedSnapshot = PatientMapping.ToJson(before.Merged)!,
        };
        db.Merges.Add(merge);

        merged.Active = false;
        merged.MergedIntoId = survivor.Id;
        merged.Version++;
        merged.UpdatedAt = now;
        // The duplicate warning on the survivor is resolved by this merge.
        var survivorChanged = false;
        if (survivor.PossibleDuplicateOf is { } dup && dup.Contains(merged.Mrn, StringComparison.Ordinal))
        {
            survivor.PossibleDuplicateOf = null;
            survivor.Version++;
            survivor.UpdatedAt = now;
            survivorChanged = true;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw PatientStore.Stale("patient record");
        }

        var detail = $"merge {merge.Id}: {merged.Mrn} merged into {survivor.Mrn}. Reason: {merge.Reason}";
        await audit.RecordManyAsync(
        [
            new AuditEntry(AuditAction.Merge, "Patient", merged.Id.ToString(), merged.Id.ToString(), Detail: detail),
            new AuditEntry(AuditAction.Merge, "Patient", survivor.Id.ToString(), survivor.Id.ToString(), Detail: detail),
        ], dbTx, ct);
        var after = (Survivor: PatientMapping.Snapshot(survivor, survivor.Coverages), Merged: PatientMapping.Snapshot(merged, merged.Coverages));
        await store.NotifyAsync(after.Merged, dbTx, ct);
        if (survivorChanged) await store.NotifyAsync(after.Survivor, dbTx, ct);
        await tx.CommitAsync(ct);
        return new MergeResult(merge.Id, after.Survivor, after.Merged);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/patients/merge", async (MergePatientsRequest request, MergePatientsHandler handler, CancellationToken ct) =>
            {
                var result = await handler.HandleAsync(request, ct);
                return Results.Created($"/api/patients/merges/{result.MergeId}", result);
            })
            .RequireAuthorization(Permissions.PatientMerge)
            .WithMetadata(new AuditedAttribute(AuditAction.Merge, "Patient"));
}
