using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.Patients.Features.GetPatient;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Patients.Features.DeactivateCoverage;

/// <summary>EndDate: the last day of coverage; defaults to today when the coverage has no end yet.</summary>
public sealed record DeactivateCoverageRequest(int? Version = null, DateOnly? EndDate = null);

/// <summary>
/// Ends a coverage instead of deleting it: claims already filed against it still need it, and its rank becomes free
/// for a replacement.
/// </summary>
internal sealed class DeactivateCoverageHandler(PatientStore store, IAuditTrail audit, TimeProvider time)
{
    public async Task<CoverageSnapshot> HandleAsync(PatientId? patientId, CoverageId id, int? expectedVersion, DateOnly? endDate, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientWrite);
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var coverage = await db.Coverages.FirstOrDefaultAsync(c => c.Id == id.Value, ct);
        if (coverage is null || (patientId is { } p && coverage.PatientId != p.Value)) throw new NotFoundException($"Coverage {id} was not found.");
        if (!coverage.Active) throw new ConflictException("This coverage is already inactive.");
        if (expectedVersion is { } expected && expected != coverage.Version) throw PatientStore.Stale("coverage", coverage.Version);
        var end = endDate ?? coverage.EffectiveEnd ?? DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        if (coverage.EffectiveStart is { } start && end < start)
            throw ValidationFailedException.For("endDate", "must not be before the effective start.");

        coverage.Active = false;
        coverage.EffectiveEnd = end;
        coverage.Version++;
        coverage.UpdatedAt = time.GetUtcNow();
        await CoverageSave(db, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Coverage", coverage.Id.ToString(), coverage.PatientId.ToString(),
            Detail: $"deactivated, ended {end:yyyy-MM-dd}"), dbTx, ct);
        var snapshot = PatientMapping.Snapshot(coverage);
        await store.NotifyAsync(snapshot, dbTx, ct);
        await tx.CommitAsync(ct);
        return snapshot;
    }

    private static async Task CoverageSave(PatientsDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw PatientStore.Stale("coverage");
        }
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/patients/{id:guid}/coverages/{coverageId:guid}/deactivate",
                async (Guid id, Guid coverageId, DeactivateCoverageRequest? request, DeactivateCoverageHandler handler, HttpContext http, CancellationToken ct) =>
                {
                    var expected = PatientEtag.Expected(http.Request, request?.Version);
                    var coverage = await handler.HandleAsync(new PatientId(id), new CoverageId(coverageId), expected, request?.EndDate, ct);
                    http.Response.Headers.ETag = PatientEtag.Format(coverage.Version);
                    return Results.Ok(coverage);
                })
            .RequireAuthorization(Permissions.PatientWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Coverage"));
}
