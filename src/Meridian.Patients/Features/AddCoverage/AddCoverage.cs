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

namespace Meridian.Patients.Features.AddCoverage;

internal sealed class AddCoverageHandler(PatientStore store, IAuditTrail audit, TimeProvider time)
{
    public async Task<CoverageSnapshot> HandleAsync(PatientId patientId, CoverageDetails? details, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientWrite);
        var v = new Validator();
        PatientRules.Validate(details, DateOnly.FromDateTime(time.GetLocalNow().DateTime), v, "");
        v.ThrowIfInvalid();

        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var patient = await db.Patients.AsNoTracking().FirstOrDefaultAsync(p => p.Id == patientId.Value, ct)
                      ?? throw new NotFoundException($"Patient {patientId} was not found.");
        if (patient.MergedIntoId is not null) throw new ConflictException("This record was merged into another patient; add coverage to the surviving record.");
        await CoverageRules.EnsureRankFreeAsync(db, patientId.Value, details!.Rank, excluding: null, ct);

        var now = time.GetUtcNow();
        var coverage = new Coverage { Id = TypedIds.NewGuid(time), PatientId = patientId.Value, Version = 1, CreatedAt = now, UpdatedAt = now, Active = true };
        PatientMapping.Apply(coverage, details);
        db.Coverages.Add(coverage);
        await CoverageRules.SaveAsync(db, details.Rank, ct);
        var pid = patientId.ToString();
        await audit.RecordAsync(new AuditEntry(AuditAction.Create, "Coverage", coverage.Id.ToString(), pid, Detail: $"rank {coverage.Rank}, {coverage.PayerName}"), dbTx, ct);
        var snapshot = PatientMapping.Snapshot(coverage);
        await store.NotifyAsync(snapshot, dbTx, ct);
        await tx.CommitAsync(ct);
        return snapshot;
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/patients/{id:guid}/coverages", async (Guid id, CoverageDetails details, AddCoverageHandler handler, HttpContext http, CancellationToken ct) =>
            {
                var coverage = await handler.HandleAsync(new PatientId(id), details, ct);
                http.Response.Headers.ETag = GetPatient.PatientEtag.Format(coverage.Version);
                return Results.Created($"/api/patients/{id}/coverages/{coverage.Id}", coverage);
            })
            .RequireAuthorization(Permissions.PatientWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "Coverage"));
}

internal static class CoverageRules
{
    public static async Task EnsureRankFreeAsync(PatientsDbContext db, Guid patientId, int rank, Guid? excluding, CancellationToken ct)
    {
        if (await db.Coverages.AnyAsync(c => c.PatientId == patientId && c.Active && c.Rank == rank && c.Id != excluding, ct))
            throw RankTaken(rank);
    }

    /// <summary>Saves; a concurrent insert of the same rank loses on the unique index and becomes the same 409.</summary>
    public static async Task SaveAsync(PatientsDbContext db, int rank, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw PatientStore.Stale("coverage");
        }
        catch (DbUpdateException e) when (PatientStore.IsUniqueViolation(e))
        {
            throw RankTaken(rank);
        }
    }

    private static ConflictException RankTaken(int rank) =>
        new($"The patient already has an active {RankName(rank)} coverage. Deactivate it or give it another rank first.");

    public static string RankName(int rank) => rank switch { 1 => "primary", 2 => "secondary", 3 => "tertiary", _ => $"rank {rank}" };
}
