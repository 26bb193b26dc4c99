using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Data;
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

internal sealed class RegisterPatientHandler(PatientStore store, DuplicateDetector duplicates, MrnReservations mrns, WriteTransactions writes,
    IAuditTrail audit, TimeProvider time)
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

        // Everything that needs no lock is done before the write transaction: the MRN (from a sequence or a reserved
        // block), the entities, the audit entries and the FHIR projection (rendered and indexed). On SQLite only one
        // write runs at a time, so inside it there is SQL and nothing else (decision 0012).
        var mrn = await mrns.NextAsync(db, ct);
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
        var id = patient.Id.ToString();
        AuditEntry[] entries =
        [
            new AuditEntry(AuditAction.Create, "Patient", id, id,
                Detail: candidates.Count > 0 ? $"MRN {mrn}; registered despite possible duplicates {string.Join(", ", candidates.Select(c => c.Mrn))}" : $"MRN {mrn}"),
            .. patient.Coverages.Select(c => new AuditEntry(AuditAction.Create, "Coverage", c.Id.ToString(), id, Detail: $"rank {c.Rank}, {c.PayerName}")),
        ];
        // The patient's notification carries its coverages (IPatientChangeObserver.PrepareRegistration).
        var snapshot = PatientMapping.Snapshot(patient, patient.Coverages);
        var project = store.PrepareRegistration(snapshot);

        await using var tx = await writes.BeginAsync(db, ct);
        db.Patients.Add(patient);
        await db.SaveChangesAsync(ct);
        // One statement for the patient's and its coverages' audit records, in the same transaction as the work.
        await audit.RecordManyAsync(entries, tx.Transaction, ct);
        await project(tx.Transaction, ct);
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
internal sealed class DuplicateDetector(PatientsDbContext db, DatabaseOptions options)
{
    private const int MaxCandidates = 10;
    private readonly string _patient = ModuleDatabase.QualifiedTable(options.Provider, PatientsDbContext.Schema, "patient");
    private readonly string _phone = ModuleDatabase.QualifiedTable(options.Provider, PatientsDbContext.Schema, "patient_phone");
    private readonly string _coverage = ModuleDatabase.QualifiedTable(options.Provider, PatientsDbContext.Schema, "coverage");

    public async Task<IReadOnlyList<PossibleDuplicate>> FindAsync(PatientDetails d, IReadOnlyList<CoverageDetails> coverages, Guid? excluding, CancellationToken ct)
    {
        var family = SearchKeys.Name(d.LegalName.Family);
        var given = SearchKeys.Name(d.LegalName.Given?.FirstOrDefault(g => !string.IsNullOrWhiteSpace(g)));
        var phones = PatientMapping.PhoneDigitsOf(d.Telecom).Where(x => x.Length >= 10).ToList();
        var members = coverages.Select(c => SearchKeys.MemberId(c.MemberId)).Where(m => m.Length > 0).Distinct().ToList();

        // The three probes in one raw statement, one round trip: as three EF queries (two with parameterized IN lists,
        // which EF re-processes on every execution) this check was the largest single cost of a registration
        // (17.6% of the process CPU in a perf profile). The probes are the same: name keys of current patients born
        // that day (at most 500), and up to 10 current patients sharing a phone number or an active member id.
        var sameBirthDate = new List<(Guid Id, string FamilyNorm, string GivenNorm)>();
        var byPhone = new List<Guid>();
        var byMember = new List<Guid>();
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            var sql = new System.Text.StringBuilder(
                $"SELECT 0, b.id, b.family_norm, b.given_norm FROM (SELECT id, family_norm, given_norm FROM {_patient} " +
                "WHERE birth_date = @bd AND merged_into_id IS NULL LIMIT 500) b");
            MigrationRunner.AddParameter(cmd, "@bd", d.BirthDate);
            if (phones.Count > 0)
                sql.Append($" UNION ALL SELECT 1, f.id, NULL, NULL FROM (SELECT p.id FROM {_phone} ph JOIN {_patient} p ON p.id = ph.patient_id " +
                           $"WHERE ph.digits IN ({InList(cmd, "@ph", phones)}) AND p.merged_into_id IS NULL LIMIT {MaxCandidates}) f");
            if (members.Count > 0)
                sql.Append($" UNION ALL SELECT 2, m.id, NULL, NULL FROM (SELECT p.id FROM {_coverage} c JOIN {_patient} p ON p.id = c.patient_id " +
                           $"WHERE c.member_id_norm IN ({InList(cmd, "@mb", members)}) AND c.active AND p.merged_into_id IS NULL LIMIT {MaxCandidates}) m");
            cmd.CommandText = sql.ToString();
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetGuid(1);
                switch (reader.GetInt32(0))
                {
                    case 0: sameBirthDate.Add((id, reader.GetString(2), reader.GetString(3))); break;
                    case 1: byPhone.Add(id); break;
                    default: byMember.Add(id); break;
                }
            }
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }

        var reasons = new Dictionary<Guid, List<string>>();
        void Add(Guid id, string reason)
        {
            if (id == excluding) return;
            if (!reasons.TryGetValue(id, out var r)) reasons[id] = r = [];
            if (!r.Contains(reason)) r.Add(reason);
        }
        // Names are compared in memory (Soundex, edit distance) on the keys fetched above.
        foreach (var p in sameBirthDate.Where(p => SimilarName(family, given, p.FamilyNorm, p.GivenNorm)).Take(MaxCandidates))
            Add(p.Id, "similar name and same date of birth");
        foreach (var id in byPhone) Add(id, "same phone number");
        foreach (var id in byMember) Add(id, "same insurance member id");
        if (reasons.Count == 0) return [];

        // Only when something matched (rare): load the candidates' records for the warning.
        var ids = reasons.Keys.ToList();
        var found = await db.Patients.AsNoTracking().Where(p => ids.Contains(p.Id)).ToListAsync(ct);
        return found
            .Select(p => (P: p, Reasons: reasons[p.Id]))
            .OrderByDescending(e => e.Reasons.Count).ThenBy(e => e.P.Mrn, StringComparer.Ordinal)
            .Take(MaxCandidates)
            .Select(e => new PossibleDuplicate(new PatientId(e.P.Id), e.P.Mrn, PatientMapping.DisplayName(e.P), e.P.BirthDate, string.Join("; ", e.Reasons)))
            .ToList();
    }

    private static string InList(System.Data.Common.DbCommand cmd, string prefix, IReadOnlyList<string> values)
    {
        for (var i = 0; i < values.Count; i++) MigrationRunner.AddParameter(cmd, prefix + i, values[i]);
        return string.Join(", ", values.Select((_, i) => prefix + i));
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
