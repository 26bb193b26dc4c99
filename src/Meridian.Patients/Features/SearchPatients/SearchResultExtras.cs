using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Features.SearchPatients;

/// <summary>What the search results table shows besides the summary: preferred phone and primary payer.</summary>
public sealed record SearchRowExtras(string? Phone, string? PrimaryPayer);

/// <summary>
/// Loads the phone and primary payer of one page of results (at most 100 ids, one query each). Part of the same search,
/// which the handler has already audited; it reads nothing the page did not find.
/// </summary>
internal sealed class SearchResultExtras(PatientsDbContext db)
{
    public async Task<IReadOnlyDictionary<PatientId, SearchRowExtras>> LoadAsync(IReadOnlyCollection<PatientId> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return new Dictionary<PatientId, SearchRowExtras>();
        var keys = ids.Select(i => i.Value).ToList();
        var telecom = await db.Patients.AsNoTracking().Where(p => keys.Contains(p.Id)).Select(p => new { p.Id, p.Telecom }).ToListAsync(ct);
        var payers = await db.Coverages.AsNoTracking().Where(c => keys.Contains(c.PatientId) && c.Active && c.Rank == 1)
            .Select(c => new { c.PatientId, c.PayerName }).ToListAsync(ct);
        var payerOf = payers.GroupBy(p => p.PatientId).ToDictionary(g => g.Key, g => g.First().PayerName);
        return telecom.ToDictionary(t => new PatientId(t.Id), t =>
        {
            var phone = (PatientMapping.FromJson<List<ContactPoint>>(t.Telecom) ?? [])
                .Where(c => c.System == "phone").OrderBy(c => c.Rank ?? int.MaxValue).FirstOrDefault()?.Value;
            return new SearchRowExtras(phone, payerOf.GetValueOrDefault(t.Id));
        });
    }
}
