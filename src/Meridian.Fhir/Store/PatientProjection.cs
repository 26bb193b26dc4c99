using System.Data.Common;
using Meridian.Fhir.Mapping;
using Meridian.Patients.Contracts;

namespace Meridian.Fhir.Store;

/// <summary>
/// Keeps the FHIR store in step with the Patients module (the system of record): every saved patient and coverage is
/// rendered as US Core 6.1 JSON and indexed inside the transaction that saved it, so a FHIR read or search reflects the
/// write at once and never sees half of it.
/// </summary>
internal sealed class PatientProjection(FhirStore store) : IPatientChangeObserver
{
    public async Task OnPatientSavedAsync(PatientSnapshot patient, DbTransaction transaction, CancellationToken ct)
    {
        await UpsertAsync(transaction, "Patient", patient.Id.ToString(), patient.Version, patient.LastUpdated, () => PatientMapper.Render(patient), ct);
        foreach (var coverage in patient.Coverages) await OnCoverageSavedAsync(coverage, transaction, ct);
    }

    public Task OnCoverageSavedAsync(CoverageSnapshot coverage, DbTransaction transaction, CancellationToken ct) =>
        UpsertAsync(transaction, "Coverage", coverage.Id.ToString(), coverage.Version, coverage.LastUpdated, () => CoverageMapper.Render(coverage), ct);

    private async Task UpsertAsync(DbTransaction tx, string type, string id, int version, DateTimeOffset lastUpdated, Func<byte[]> render, CancellationToken ct)
    {
        var current = await store.CurrentVersionForUpdateAsync(tx, type, id, ct);
        // Idempotent: the same snapshot may be reported twice (a patient save also reports its coverages).
        if (current is { } c && c >= version) return;
        await store.SaveAsync(tx, type, id, version, lastUpdated.UtcDateTime, render(), exists: current is not null, ct);
    }
}
