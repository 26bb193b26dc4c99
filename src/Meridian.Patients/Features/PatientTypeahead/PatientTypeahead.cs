using System.Globalization;
using System.Text.RegularExpressions;
using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.Patients.Features.SearchPatients;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Features.PatientTypeahead;

public sealed record TypeaheadItem(PatientId Id, string Mrn, string Name, string? PreferredGiven, DateOnly BirthDate, string Gender, DateOnly? DeceasedDate);

/// <summary>What the typed text was understood as, so the UI can say "searching by phone…".</summary>
public sealed record TypeaheadResult(string Query, string Interpretation, IReadOnlyList<TypeaheadItem> Items);

/// <summary>
/// One box for everything the front desk types: "smi jo" (family then given prefix, or given then family),
/// "smith, jo", "12/03/1980" or "1980-12-03" (date of birth, US month-first), "M0001234" (MRN), "(555) 123-4567" (phone).
/// A date can follow a name: "smi 12/03/1980".
/// </summary>
internal sealed partial class PatientTypeaheadHandler(PatientStore store, IAuditTrail audit)
{
    public const int Limit = 10;

    public async Task<TypeaheadResult> HandleAsync(string? text, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientRead);
        var q = (text ?? "").Trim();
        if (q.Length < 2) throw ValidationFailedException.For("q", "type at least 2 characters.");
        if (q.Length > 100) throw ValidationFailedException.For("q", "must be at most 100 characters.");

        var db = store.Db;
        var query = db.Patients.AsNoTracking().Where(p => p.MergedIntoId == null);
        IReadOnlyList<IQueryable<Patient>>? branches = null;
        var interpretation = new List<string>();
        if (MrnText().IsMatch(q))
        {
            // The MRN is unique and zero-padded, so a prefix of it still narrows to a range of the unique index.
            var m = q.ToUpperInvariant();
            var hi = SearchKeys.PrefixUpperBound(m);
            query = query.Where(p => string.Compare(p.Mrn, m) >= 0 && string.Compare(p.Mrn, hi) < 0);
            interpretation.Add("MRN");
        }
        else if (PhoneText().IsMatch(q) && SearchKeys.PhoneDigits(q) is { Length: >= 3 } digits && !IsDate(q, out _))
        {
            query = PatientQueries.PhonePrefix(db, query, digits, exact: false);
            interpretation.Add("phone");
        }
        else
        {
            var words = q.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).ToList();
            var dateWord = words.FirstOrDefault(w => IsDate(w, out _));
            if (dateWord is not null)
            {
                var birthDate = dob(dateWord);
                query = query.Where(p => p.BirthDate == birthDate);
                words.Remove(dateWord);
                interpretation.Add("date of birth");
            }
            var rest = string.Join(' ', words);
            if (rest.Contains(','))
            {
                // "Family, Given" as printed on lists and wristbands.
                var parts = rest.Split(',', 2);
                if (SearchKeys.Name(parts[0]) is { Length: > 0 } f) query = PatientQueries.FamilyPrefix(query, f);
                if (SearchKeys.Name(parts[1]) is { Length: > 0 } g) query = PatientQueries.GivenPrefix(query, g);
                interpretation.Add("family, given");
            }
            else
            {
                var tokens = PatientQueries.Tokens(rest);
                if (tokens.Count == 1)
                {
                    // The typed word, not tokens[0]: normalizing turns "o'hanlon-ke" into "ohanlon ke", and Branches would split
                    // that at the space again and look for a family name "ohanlon" with another part "ke" (never a match).
                    branches = PatientQueries.Branches(db, new PatientSearchQuery(Name: rest, BirthDate: dateWord is null ? null : dob(dateWord)));
                    interpretation.Add("name");
                }
                else if (tokens.Count >= 2)
                {
                    // "smi jo" is family then given, but people type "jo smi" too: one index-backed branch per reading.
                    var (a, b) = (tokens[0], tokens[1]);
                    branches =
                    [
                        PatientQueries.GivenPrefix(PatientQueries.FamilyPrefix(query, a), b),
                        PatientQueries.GivenPrefix(PatientQueries.FamilyPrefix(query, b), a),
                    ];
                    interpretation.Add("family and given name");
                }
                else if (dateWord is null)
                {
                    throw ValidationFailedException.For("q", "type a name, a date of birth (MM/DD/YYYY), an MRN or a phone number.");
                }
            }
        }

        var rows = await PatientQueries.RankedAsync(db, branches ?? [query], 0, Limit, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "Patient", PatientId: rows.Count == 1 ? rows[0].Id.ToString() : null,
            Detail: "typeahead q=" + q), ct);
        var items = rows
            .Select(s => new TypeaheadItem(s.Id, s.Mrn, s.Name, s.PreferredGiven, s.BirthDate, s.Gender, s.DeceasedDate)).ToList();
        return new TypeaheadResult(q, string.Join(" + ", interpretation), items);
    }

    private static DateOnly dob(string word) => IsDate(word, out var d) ? d : default;

    private static readonly string[] DateFormats = ["MM/dd/yyyy", "M/d/yyyy", "MM-dd-yyyy", "M-d-yyyy", "yyyy-MM-dd", "MMddyyyy"];

    internal static bool IsDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    [GeneratedRegex(@"^[Mm]\d{2,}$")]
    private static partial Regex MrnText();
    [GeneratedRegex(@"^\+?[\d\s().\-]+$")]
    private static partial Regex PhoneText();

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/patients/typeahead", async (string? q, PatientTypeaheadHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(q, ct)))
            .RequireAuthorization(Permissions.PatientRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Patient"));
}
