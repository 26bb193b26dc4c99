using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.Patients.Features.AddCoverage;
using Meridian.Patients.Features.GetPatient;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Patients.Features.UpdateCoverage;

public sealed record UpdateCoverageRequest(CoverageDetails? Coverage, int? Version = null);

internal sealed class UpdateCoverageHandler(PatientStore store, IAuditTrail audit, TimeProvider time)
{
    /// <param name="patientId">When given, the coverage must belong to this patient (URL consistency).</param>
    public async Task<CoverageSnapshot> HandleAsync(PatientId? patientId, CoverageId id, CoverageDetails? details, int? expectedVersion, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientWrite);
        var v = new Validator();
        PatientRules.Validate(details, DateOnly.FromDateTime(time.GetLocalNow().DateTime), v, "coverage.");
        v.ThrowIfInvalid();

        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var coverage = await db.Coverages.FirstOrDefaultAsync(c => c.Id == id.Value, ct);
        if (coverage is null || (patientId is { } p && coverage.PatientId != p.Value)) throw new NotFoundException($"Coverage {id} was not found.");
        if (!coverage.Active) throw new ConflictException("This coverage is inactive; add a new coverage instead of editing an ended one.");
        if (expectedVersion is { } expected && expected != coverage.Version) throw PatientStore.Stale("coverage", coverage.Version);
        if (details!.Rank != coverage.Rank) await CoverageRules.EnsureRankFreeAsync(db, coverage.PatientId, details.Rank, coverage.Id, ct);

        PatientMapping.Apply(coverage, details);
        coverage.Version++;
        coverage.UpdatedAt = time.GetUtcNow();
        await CoverageRules.SaveAsync(db, details.Rank, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Coverage", coverage.Id.ToString(), coverage.PatientId.ToString(),
            Detail: $"version {coverage.Version}"), dbTx, ct);
        var snapshot = PatientMapping.Snapshot(coverage);
        await store.NotifyAsync(snapshot, dbTx, ct);
        await tx.CommitAsync(ct);
        return snapshot;
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPut("/api/patients/{id:guid}/coverages/{coverageId:guid}",
                async (Guid id, Guid coverageId, UpdateCoverageRequest request, UpdateCoverageHandler handler, HttpContext http, CancellationToken ct) =>
                {
                    var expected = PatientEtag.Expected(http.Request, request.Version);
                    var coverage = await handler.HandleAsync(new PatientId(id), new CoverageId(coverageId), request.Coverage, expected, ct);
                    http.Response.Headers.ETag = PatientEtag.Format(coverage.Version);
                    return Results.Ok(coverage);
                })
            .RequireAuthorization(Permissions.PatientWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Coverage"));
}
