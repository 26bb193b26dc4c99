using System.Globalization;
using System.Text.Json;
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

namespace Meridian.Patients.Features.SearchPatients;

/// <summary>
/// Name, Family and Given match by prefix, ignoring case and accents (Name: every word must start some part of the
/// name — family, given or preferred given). The other keys match exactly after normalization.
/// Merged records are left out unless IncludeMerged.
/// </summary>
public sealed record PatientSearchQuery(
    string? Name = null, string? Family = null, string? Given = null, DateOnly? BirthDate = null, string? Mrn = null,
    string? Phone = null, string? MemberId = null, int Offset = 0, int Count = 20, bool IncludeMerged = false)
{
    public override string ToString()
    {
        var parts = new List<string>();
        void Add(string key, object? value) { if (value is not null and not "") parts.Add($"{key}={value}"); }
        Add("name", Name); Add("family", Family); Add("given", Given); Add("birthDate", BirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add("mrn", Mrn); Add("phone", Phone); Add("memberId", MemberId); Add("offset", Offset); Add("count", Count);
        if (IncludeMerged) Add("includeMerged", "true");
        return string.Join('&', parts);
    }
}

public sealed record PatientSummary(PatientId Id, string Mrn, string Name, string Family, IReadOnlyList<string> Given,
    string? PreferredGiven, DateOnly BirthDate, string Gender, bool Active, PatientId? MergedInto, DateOnly? DeceasedDate);

internal sealed class SearchPatientsHandler(PatientStore store, IAuditTrail audit)
{
    public const int MaxCount = 100;

    public async Task<Page<PatientSummary>> HandleAsync(PatientSearchQuery query, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientRead);
        var v = new Validator();
        if (query.Count is < 1 or > MaxCount) v.Add("count", $"must be between 1 and {MaxCount}.");
        if (query.Offset is < 0 or > 10_000) v.Add("offset", "must be between 0 and 10000.");
        foreach (var (key, value) in new[] { ("name", query.Name), ("family", query.Family), ("given", query.Given), ("mrn", query.Mrn), ("phone", query.Phone), ("memberId", query.MemberId) })
            v.MaxLength(key, value, Limits.Name);
        if (query.Phone is { Length: > 0 } && SearchKeys.PhoneDigits(query.Phone).Length < 3) v.Add("phone", "must contain at least 3 digits.");
        if (query.MemberId is { Length: > 0 } && SearchKeys.MemberId(query.MemberId).Length == 0) v.Add("memberId", "must contain letters or digits.");
        v.ThrowIfInvalid();

        var rows = await PatientQueries.RankedAsync(store.Db, PatientQueries.Branches(store.Db, query), query.Offset, query.Count + 1, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "Patient",
            PatientId: rows.Count == 1 ? rows[0].Id.ToString() : null, Detail: query.ToString()), ct);
        var items = rows.Take(query.Count).ToList();
        // The total is not counted: a count over a broad prefix scans every match, and the list only needs "more".
        return new Page<PatientSummary>(items, query.Offset, query.Count, rows.Count > query.Count ? null : query.Offset + items.Count);
    }

    internal static PatientSearchQuery Parse(HttpRequest request)
    {
        var v = new Validator();
        string? S(string key) => request.Query[key].ToString() is { Length: > 0 } s && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
        int I(string key, int fallback)
        {
            var s = S(key);
            if (s is null) return fallback;
            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
            v.Add(key, "must be a whole number.");
            return fallback;
        }
        DateOnly? birthDate = null;
        if (S("birthDate") is { } bd)
        {
            if (DateOnly.TryParseExact(bd, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) birthDate = d;
            else v.Add("birthDate", "must be a date in the form yyyy-MM-dd.");
        }
        var includeMerged = S("includeMerged") is { } im && (im.Equals("true", StringComparison.OrdinalIgnoreCase) || im == "1");
        var query = new PatientSearchQuery(S("name"), S("family"), S("given"), birthDate, S("mrn"), S("phone"), S("memberId"),
            I("offset", 0), I("count", 20), includeMerged);
        v.ThrowIfInvalid();
        return query;
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/patients", async (HttpRequest request, SearchPatientsHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(Parse(request), ct)))
            .RequireAuthorization(Permissions.PatientRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Patient"));
}

/// <summary>Index-backed predicates shared by search and typeahead.</summary>
internal static class PatientQueries
{
    /// <summary>
    /// The query split into index-friendly branches whose union is the answer. A name prefix can match the family,
    /// the given or the preferred given name; one query with OR over the three would fetch and sort every match
    /// ("s" matches a fifth of the practice), whereas each branch reads its own index in display order and stops
    /// after offset + count keys.
    /// </summary>
    public static IReadOnlyList<IQueryable<Patient>> Branches(PatientsDbContext db, PatientSearchQuery query)
    {
        var q = db.Patients.AsNoTracking();
        if (!query.IncludeMerged) q = q.Where(p => p.MergedIntoId == null);
        if (query.Family is { } family && SearchKeys.Name(family) is { Length: > 0 } f) q = FamilyPrefix(q, f);
        if (query.Given is { } given && SearchKeys.Name(given) is { Length: > 0 } g) q = GivenPrefix(q, g);
        if (query.BirthDate is { } birthDate) q = q.Where(p => p.BirthDate == birthDate);
        if (query.Mrn is { } mrn)
        {
            var m = mrn.Trim().ToUpperInvariant();
            q = q.Where(p => p.Mrn == m);
        }
        if (query.Phone is { } phone) q = PhonePrefix(db, q, SearchKeys.PhoneDigits(phone), exact: true);
        if (query.MemberId is { } memberId)
        {
            var m = SearchKeys.MemberId(memberId);
            q = q.Where(p => db.Coverages.Where(c => c.MemberIdNorm == m).Select(c => c.PatientId).Contains(p.Id));
        }
        var tokens = query.Name is { } name ? Tokens(name) : [];
        if (tokens.Count == 0) return [q];
        foreach (var other in tokens.Skip(1)) q = AnyNamePart(q, other);
        var t = tokens[0];
        var hi = SearchKeys.PrefixUpperBound(t);
        return
        [
            q.Where(x => string.Compare(x.FamilyNorm, t) >= 0 && string.Compare(x.FamilyNorm, hi) < 0),
            q.Where(x => string.Compare(x.GivenNorm, t) >= 0 && string.Compare(x.GivenNorm, hi) < 0),
            q.Where(x => string.Compare(x.PreferredGivenNorm, t) >= 0 && string.Compare(x.PreferredGivenNorm, hi) < 0),
        ];
    }

    private sealed record Key(string Family, string Given, Guid Id);

    /// <summary>
    /// Runs each branch for its first offset + take keys in display order (family, given, id), merges them, and loads
    /// the page's summaries. Ids compare as upper-case text here, which is the order both databases use for them too
    /// (SQLite stores the text; PostgreSQL compares uuid bytes, which is hexadecimal text order).
    /// </summary>
    public static async Task<IReadOnlyList<PatientSummary>> RankedAsync(PatientsDbContext db, IReadOnlyList<IQueryable<Patient>> branches, int offset, int take, CancellationToken ct)
    {
        var keys = new Dictionary<Guid, Key>();
        foreach (var branch in branches)
        {
            var rows = await Ordered(branch).Select(p => new Key(p.FamilyNorm, p.GivenNorm, p.Id)).Take(offset + take).ToListAsync(ct);
            foreach (var k in rows) keys.TryAdd(k.Id, k);
        }
        var page = keys.Values
            .OrderBy(k => k.Family, StringComparer.Ordinal).ThenBy(k => k.Given, StringComparer.Ordinal)
            .ThenBy(k => k.Id.ToString().ToUpperInvariant(), StringComparer.Ordinal)
            .Skip(offset).Take(take).Select(k => k.Id).ToList();
        if (page.Count == 0) return [];
        var summaries = await db.Patients.AsNoTracking().Where(p => page.Contains(p.Id))
            .Select(p => new SummaryRow(p.Id, p.Mrn, p.FamilyName, p.GivenNames, p.PreferredName, p.BirthDate, p.Gender, p.Active, p.MergedIntoId, p.DeceasedDate))
            .ToDictionaryAsync(r => r.Id, ct);
        return page.Where(summaries.ContainsKey).Select(id => Summary(summaries[id])).ToList();
    }

    private sealed record SummaryRow(Guid Id, string Mrn, string FamilyName, string GivenNames, string? PreferredName, DateOnly BirthDate,
        string Gender, bool Active, Guid? MergedIntoId, DateOnly? DeceasedDate);

    public static IOrderedQueryable<Patient> Ordered(IQueryable<Patient> q) =>
        q.OrderBy(p => p.FamilyNorm).ThenBy(p => p.GivenNorm).ThenBy(p => p.Id);

    /// <summary>Words of a name query, normalized; a word normalizing to nothing (punctuation only) is dropped.</summary>
    public static IReadOnlyList<string> Tokens(string text) =>
        text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Select(SearchKeys.Name).Where(t => t.Length > 0).Take(4).ToList();

    // Ranges (col >= p AND col < p') rather than LIKE: both providers seek a B-tree index with them (binary collation).
    public static IQueryable<Patient> FamilyPrefix(IQueryable<Patient> q, string p)
    {
        var hi = SearchKeys.PrefixUpperBound(p);
        return q.Where(x => string.Compare(x.FamilyNorm, p) >= 0 && string.Compare(x.FamilyNorm, hi) < 0);
    }

    public static IQueryable<Patient> GivenPrefix(IQueryable<Patient> q, string p)
    {
        var hi = SearchKeys.PrefixUpperBound(p);
        return q.Where(x => (string.Compare(x.GivenNorm, p) >= 0 && string.Compare(x.GivenNorm, hi) < 0)
                         || (string.Compare(x.PreferredGivenNorm, p) >= 0 && string.Compare(x.PreferredGivenNorm, hi) < 0));
    }

    public static IQueryable<Patient> AnyNamePart(IQueryable<Patient> q, string p)
    {
        var hi = SearchKeys.PrefixUpperBound(p);
        return q.Where(x => (string.Compare(x.FamilyNorm, p) >= 0 && string.Compare(x.FamilyNorm, hi) < 0)
                         || (string.Compare(x.GivenNorm, p) >= 0 && string.Compare(x.GivenNorm, hi) < 0)
                         || (string.Compare(x.PreferredGivenNorm, p) >= 0 && string.Compare(x.PreferredGivenNorm, hi) < 0));
    }

    public static IQueryable<Patient> PhonePrefix(PatientsDbContext db, IQueryable<Patient> q, string digits, bool exact)
    {
        if (exact) return q.Where(p => db.PatientPhones.Where(ph => ph.Digits == digits).Select(ph => ph.PatientId).Contains(p.Id));
        var hi = SearchKeys.PrefixUpperBound(digits);
        return q.Where(p => db.PatientPhones.Where(ph => string.Compare(ph.Digits, digits) >= 0 && string.Compare(ph.Digits, hi) < 0)
            .Select(ph => ph.PatientId).Contains(p.Id));
    }

    private static PatientSummary Summary(SummaryRow p)
    {
        var given = JsonSerializer.Deserialize<List<string>>(p.GivenNames) ?? [];
        var preferred = PatientMapping.FromJson<PersonName>(p.PreferredName)?.Given?.FirstOrDefault();
        return new PatientSummary(new PatientId(p.Id), p.Mrn, string.Join(' ', given.Append(p.FamilyName)), p.FamilyName, given, preferred,
            p.BirthDate, p.Gender, p.Active, p.MergedIntoId is { } m ? new PatientId(m) : null, p.DeceasedDate);
    }
}
