using Meridian.Patients.Contracts;
using Meridian.Patients.Domain;
using Meridian.Patients.Features.AddCoverage;
using Meridian.Patients.Features.RegisterPatient;
using Meridian.Patients.Features.UpdateCoverage;
using Meridian.Patients.Features.UpdatePatient;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Data;

/// <summary>
/// The module's public surface for other modules (the FHIR API first). Writes go through the same handlers as the
/// REST endpoints and pages, so they are authorized, validated, audited and observed the same way. Finds are not
/// audited here: the caller knows whether it is a user-visible read (and audits it) or internal bookkeeping.
/// </summary>
internal sealed class PatientDirectory(
    PatientsDbContext db,
    RegisterPatientHandler register,
    UpdatePatientHandler update,
    AddCoverageHandler addCoverage,
    UpdateCoverageHandler updateCoverage) : IPatientDirectory
{
    public async Task<PatientSnapshot?> FindAsync(PatientId id, CancellationToken ct = default) =>
        (await FindManyAsync([id], ct)).FirstOrDefault();

    public async Task<IReadOnlyList<PatientSnapshot>> FindManyAsync(IReadOnlyCollection<PatientId> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return [];
        var keys = ids.Select(i => i.Value).Distinct().ToList();
        var patients = await db.Patients.AsNoTracking().Where(p => keys.Contains(p.Id)).ToListAsync(ct);
        var coverages = (await db.Coverages.AsNoTracking().Where(c => keys.Contains(c.PatientId)).ToListAsync(ct)).ToLookup(c => c.PatientId);
        var byId = patients.ToDictionary(p => p.Id, p => PatientMapping.Snapshot(p, coverages[p.Id]));
        return keys.Where(byId.ContainsKey).Select(k => byId[k]).ToList();
    }

    public async Task<IReadOnlyList<PatientId>> ListIdsAsync(int max, CancellationToken ct = default) =>
        (await db.Patients.AsNoTracking().Where(p => p.Active && p.MergedIntoId == null).OrderBy(p => p.Id).Select(p => p.Id).Take(max).ToListAsync(ct))
        .Select(id => new PatientId(id)).ToList();

    public Task<PatientSnapshot> RegisterAsync(PatientDetails details, IReadOnlyList<CoverageDetails> coverages, bool allowPossibleDuplicate, CancellationToken ct = default) =>
        register.HandleAsync(new RegisterPatientRequest(details, coverages, allowPossibleDuplicate), ct);

    public Task<PatientSnapshot> UpdateAsync(PatientId id, PatientDetails details, int? expectedVersion, CancellationToken ct = default) =>
        update.HandleAsync(id, details, expectedVersion, ct);

    public async Task<CoverageSnapshot?> FindCoverageAsync(CoverageId id, CancellationToken ct = default) =>
        await db.Coverages.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id.Value, ct) is { } c ? PatientMapping.Snapshot(c) : null;

    public Task<CoverageSnapshot> AddCoverageAsync(PatientId patient, CoverageDetails details, CancellationToken ct = default) =>
        addCoverage.HandleAsync(patient, details, ct);

    public Task<CoverageSnapshot> UpdateCoverageAsync(CoverageId id, CoverageDetails details, int? expectedVersion, CancellationToken ct = default) =>
        updateCoverage.HandleAsync(null, id, details, expectedVersion, ct);
}
