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
    private sealed record Item(string Type, string Id, int Version, DateTimeOffset LastUpdated, Func<byte[]> Render)
    {
        public ResourceWrite Write(bool exists) => new(Type, Id, Version, LastUpdated.UtcDateTime, Render(), exists);
    }

    public Task OnPatientSavedAsync(PatientSnapshot patient, DbTransaction transaction, CancellationToken ct) =>
        OnPatientsSavedAsync([patient], transaction, ct);

    /// <summary>
    /// A patient and its coverages (or a whole batch of them) in two statements: one version lookup, one save
    /// (see <see cref="FhirStore.SaveManyAsync"/>).
    /// </summary>
    public Task OnPatientsSavedAsync(IReadOnlyList<PatientSnapshot> patients, DbTransaction transaction, CancellationToken ct) =>
        UpsertAsync(transaction, patients.SelectMany(Items).ToList(), ct);

    /// <summary>A patient's resource and its coverages', each rendered only when it is written.</summary>
    private static IEnumerable<Item> Items(PatientSnapshot patient) =>
    [
        new Item("Patient", patient.Id.ToString(), patient.Version, patient.LastUpdated, () => PatientMapper.Render(patient)),
        .. patient.Coverages.Select(CoverageItem),
    ];

    /// <summary>
    /// A new patient and its new coverages: rendered and indexed now, before the registration's transaction; inside it
    /// only the inserts run. Their ids are new, so there is no current version to look up.
    /// </summary>
    public Func<DbTransaction, CancellationToken, Task> PrepareRegistration(PatientSnapshot patient)
    {
        var batch = store.Prepare(Items(patient).Select(i => i.Write(exists: false)).ToList());
        return batch.ExecuteAsync;
    }

    public Task OnCoverageSavedAsync(CoverageSnapshot coverage, DbTransaction transaction, CancellationToken ct) =>
        UpsertAsync(transaction, [CoverageItem(coverage)], ct);

    private static Item CoverageItem(CoverageSnapshot c) =>
        new("Coverage", c.Id.ToString(), c.Version, c.LastUpdated, () => CoverageMapper.Render(c));

    private async Task UpsertAsync(DbTransaction tx, IReadOnlyList<Item> items, CancellationToken ct)
    {
        var current = await store.CurrentVersionsForUpdateAsync(tx, items.Select(i => (i.Type, i.Id)).ToList(), ct);
        var writes = new List<ResourceWrite>(items.Count);
        // The same resource reported twice in one call is stored once, at its highest version.
        foreach (var item in items.GroupBy(i => (i.Type, i.Id)).Select(g => g.MaxBy(i => i.Version)!))
        {
            var exists = current.TryGetValue((item.Type, item.Id), out var version);
            // Idempotent: the same snapshot may be reported twice (a patient save also reports its coverages).
            if (exists && version >= item.Version) continue;
            writes.Add(item.Write(exists));
        }
        if (writes.Count > 0) await store.SaveManyAsync(tx, writes, ct);
    }
}
