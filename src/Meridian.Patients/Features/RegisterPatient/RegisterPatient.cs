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

namespace Meridian.Patients.Features.RegisterPatient;

/// <summary>
/// Register a patient with optional coverages. <paramref name="AllowPossibleDuplicate"/> is the front desk's
/// "register anyway" after seeing the duplicate warning; the new chart then carries a "possible duplicate" alert.
/// </summary>
public sealed record RegisterPatientRequest(PatientDetails? Patient, IReadOnlyList<CoverageDetails>? Coverages = null, bool AllowPossibleDuplicate = false);

internal sealed class RegisterPatientHandler(PatientStore store, DuplicateDetector duplicates, IAuditTrail audit, TimeProvider time)
{
    public async Task<PatientSnapshot> HandleAsync(RegisterPatientRequest request, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientWrite);
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        var coverages = request.Coverages ?? [];
        var v = new Validator();
        PatientRules.Validate(request.Patient, today, v, "patient.");
        for (var i = 0; i < coverages.Count; i++) PatientRules.Validate(coverages[i], today, v, $"coverages[{i}].");
        PatientRules.ValidateRanks(coverages, v);
        v.ThrowIfInvalid();
        var details = request.Patient!;

        var db = store.Db;
        // The duplicate check only advises the front desk, so it runs before the write transaction: on SQLite a write
        // transaction holds the database's single write lock from its first statement, and these reads need no lock.
        var candidates = await duplicates.FindAsync(details, coverages, excluding: null, ct);
        if (candidates.Count > 0 && !request.AllowPossibleDuplicate)
        {
            // Showing the candidates discloses their names and birth dates: that is a read of their records.
            await audit.RecordManyAsync(candidates.Select(c => new AuditEntry(AuditAction.Read, "Patient", c.Id.ToString(), c.Id.ToString(),
                Detail: "Shown as a possible duplicate during registration: " + c.Reason)).ToList(), null, ct);
            throw new DuplicatePatientException(candidates);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var mrn = (await store.AllocateMrnsAsync(dbTx, 1, ct))[0];
        var patient = new Patient
        {
            Id = TypedIds.NewGuid(time),
            Mrn = mrn,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
            Active = true,
            PossibleDuplicateOf = candidates.Count > 0 ? Truncate("Possible duplicate of " + string.Join(", ", candidates.Select(c => c.Mrn)), Limits.Text) : null,
        };
        PatientMapping.Apply(patient, details);
        foreach (var c in coverages)
        {
            var coverage = new Coverage { Id = TypedIds.NewGuid(time), PatientId = patient.Id, Version = 1, CreatedAt = now, UpdatedAt = now, Active = true };
            PatientMapping.Apply(coverage, c);
            patient.Coverages.Add(coverage);
        }
        db.Patients.Add(patient);
        await db.SaveChangesAsync(ct);

        var id = patient.Id.ToString();
        // One statement for the patient's and its coverages' audit records: each statement is a round trip on PostgreSQL.
        await audit.RecordManyAsync(
        [
            new AuditEntry(AuditAction.Create, "Patient", id, id,
                Detail: candidates.Count > 0 ? $"MRN {mrn}; registered despite possible duplicates {string.Join(", ", candidates.Select(c => c.Mrn))}" : $"MRN {mrn}"),
            .. patient.Coverages.Select(c => new AuditEntry(AuditAction.Create, "Coverage", c.Id.ToString(), id, Detail: $"rank {c.Rank}, {c.PayerName}")),
        ], dbTx, ct);

        // The patient's notification carries its coverages (IPatientChangeObserver.OnPatientSavedAsync).
        var snapshot = PatientMapping.Snapshot(patient, patient.Coverages);
        await store.NotifyAsync(snapshot, dbTx, ct);
        await tx.CommitAsync(ct);
        return snapshot;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    internal static void Map(IEndpointRouteBuilder app) =>
        // A likely duplicate is a 409 whose ProblemDetails lists the candidates (DuplicatePatientException.Extensions);
        // the front desk then opens one of them, or resends with allowPossibleDuplicate: true.
        app.MapPost("/api/patients", async (RegisterPatientRequest request, RegisterPatientHandler handler, CancellationToken ct) =>
            {
                var patient = await handler.HandleAsync(request, ct);
                return Results.Created($"/api/patients/{patient.Id}", patient);
            })
            .RequireAuthorization(Permissions.PatientWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "Patient"));
}

/// <summary>
/// Finds records that may be the same person: a similar name with the same birth date, the same phone number, or the
/// same insurance member id. Birth date narrows the name comparison to a handful of rows (an index seek), so the
/// fuzzy part runs in memory.
/// </summary>
internal sealed class DuplicateDetector(PatientsDbContext db)
{
    private const int MaxCandidates = 10;

    public async Task<IReadOnlyList<PossibleDuplicate>> FindAsync(PatientDetails d, IReadOnlyList<CoverageDetails> coverages, Guid? excluding, CancellationToken ct)
    {
        var found = new Dictionary<Guid, (Patient P, List<string> Reasons)>();
        void Add(Patient p, string reason)
        {
            if (p.Id == excluding) return;
            if (!found.TryGetValue(p.Id, out var e)) found[p.Id] = e = (p, []);
            if (!e.Reasons.Contains(reason)) e.Reasons.Add(reason);
        }

        var family = SearchKeys.Name(d.LegalName.Family);
        var given = SearchKeys.Name(d.LegalName.Given?.FirstOrDefault(g => !string.IsNullOrWhiteSpace(g)));
        // Names are compared in memory (Soundex, edit distance), so fetch only the name keys of same-birth-date patients,
        // then load the few that match.
        var sameBirthDate = await db.Patients.AsNoTracking()
            .Where(p => p.BirthDate == d.BirthDate && p.MergedIntoId == null)
            .Select(p => new { p.Id, p.FamilyNorm, p.GivenNorm })
            .Take(500).ToListAsync(ct);
        var similarIds = sameBirthDate.Where(p => SimilarName(family, given, p.FamilyNorm, p.GivenNorm)).Select(p => p.Id).Take(MaxCandidates).ToList();
        if (similarIds.Count > 0)
            foreach (var p in await db.Patients.AsNoTracking().Where(p => similarIds.Contains(p.Id)).ToListAsync(ct))
                Add(p, "similar name and same date of birth");

        var phones = PatientMapping.PhoneDigitsOf(d.Telecom).Where(x => x.Length >= 10).ToList();
        if (phones.Count > 0)
        {
            var byPhone = await db.PatientPhones.AsNoTracking().Where(ph => phones.Contains(ph.Digits))
                .Join(db.Patients.Where(p => p.MergedIntoId == null), ph => ph.PatientId, p => p.Id, (ph, p) => p)
                .Take(MaxCandidates).ToListAsync(ct);
            foreach (var p in byPhone) Add(p, "same phone number");
        }

        var members = coverages.Select(c => SearchKeys.MemberId(c.MemberId)).Where(m => m.Length > 0).Distinct().ToList();
        if (members.Count > 0)
        {
            var byMember = await db.Coverages.AsNoTracking().Where(c => members.Contains(c.MemberIdNorm) && c.Active)
                .Join(db.Patients.Where(p => p.MergedIntoId == null), c => c.PatientId, p => p.Id, (c, p) => p)
                .Take(MaxCandidates).ToListAsync(ct);
            foreach (var p in byMember) Add(p, "same insurance member id");
        }

        return found.Values
            .OrderByDescending(e => e.Reasons.Count).ThenBy(e => e.P.Mrn, StringComparer.Ordinal)
            .Take(MaxCandidates)
            .Select(e => new PossibleDuplicate(new PatientId(e.P.Id), e.P.Mrn, PatientMapping.DisplayName(e.P), e.P.BirthDate, string.Join("; ", e.Reasons)))
            .ToList();
    }

    /// <summary>
    /// Family names alike (equal, same Soundex, or one or two typos apart) and given names alike (one a prefix of the
    /// other as "Jon"/"Jonathan", or alike the same way); or family and given swapped, a common registration slip.
    /// </summary>
    internal static bool SimilarName(string family, string given, string otherFamily, string otherGiven)
    {
        if (family.Length == 0 || otherFamily.Length == 0) return false;
        bool GivenPrefix(string a, string b) => a.Length > 0 && b.Length > 0 && (a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal));
        bool Close(string a, string b) => a == b
            || (SearchKeys.Soundex(a) is { Length: > 0 } s && s == SearchKeys.Soundex(b))
            || SearchKeys.EditDistance(a, b, 2) <= (Math.Min(a.Length, b.Length) >= 6 ? 2 : 1);
        // The birth date already matches, so both names only have to be close: "Catherine Johnson" / "Katherine Jonson".
        if (Close(family, otherFamily) && (GivenPrefix(given, otherGiven) || Close(given, otherGiven))) return true;
        return family == otherGiven && given == otherFamily;
    }
}
