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

namespace Meridian.Patients.Features.UpdatePatient;

/// <summary>Replace a patient's details (demographics, contacts, guarantor). Version = the version the editor read.</summary>
public sealed record UpdatePatientRequest(PatientDetails? Patient, int? Version = null);

internal sealed class UpdatePatientHandler(PatientStore store, IAuditTrail audit, TimeProvider time)
{
    /// <param name="expectedVersion">The version the editor read; null skips the check (trusted internal callers only).</param>
    public async Task<PatientSnapshot> HandleAsync(PatientId id, PatientDetails? details, int? expectedVersion, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientWrite);
        var v = new Validator();
        PatientRules.Validate(details, DateOnly.FromDateTime(time.GetLocalNow().DateTime), v, "patient.");
        v.ThrowIfInvalid();

        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var patient = await store.LoadAsync(id.Value, tracked: true, ct) ?? throw new NotFoundException($"Patient {id} was not found.");
        if (patient.MergedIntoId is { } survivor)
            throw new ConflictException($"This record was merged into patient {survivor}; edit the surviving record instead.");
        if (expectedVersion is { } expected && expected != patient.Version)
            throw PatientStore.Stale("patient record", patient.Version);

        PatientMapping.Apply(patient, details!);
        patient.Version++;
        patient.UpdatedAt = time.GetUtcNow();
        try
        {
            // The version column is a concurrency token: the UPDATE matches only the version read above, so a
            // concurrent commit in between (PostgreSQL read committed) makes this fail instead of overwriting it.
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw PatientStore.Stale("patient record");
        }
        var pid = id.ToString();
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Patient", pid, pid, Detail: $"version {patient.Version}"), dbTx, ct);
        var snapshot = PatientMapping.Snapshot(patient, patient.Coverages);
        await store.NotifyAsync(snapshot, dbTx, ct);
        await tx.CommitAsync(ct);
        return snapshot;
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPut("/api/patients/{id:guid}", async (Guid id, UpdatePatientRequest request, UpdatePatientHandler handler, HttpContext http, CancellationToken ct) =>
            {
                var expected = PatientEtag.Expected(http.Request, request.Version);
                var patient = await handler.HandleAsync(new PatientId(id), request.Patient, expected, ct);
                http.Response.Headers.ETag = PatientEtag.Format(patient.Version);
                return Results.Ok(patient);
            })
            .RequireAuthorization(Permissions.PatientWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Patient"));
}
