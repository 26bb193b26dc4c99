using System.Text.Json;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;

namespace Meridian.Patients.Domain;

/// <summary>Copies between the stored entities and the contract records (the only shape that leaves the module).</summary>
internal static class PatientMapping
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string? ToJson<T>(T? value) where T : class => value is null ? null : JsonSerializer.Serialize(value, Json);
    public static T? FromJson<T>(string? json) where T : class => string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<T>(json, Json);

    /// <summary>Writes the details onto the entity, including the derived search columns and phone rows.</summary>
    public static void Apply(Patient p, PatientDetails d)
    {
        var given = (d.LegalName.Given ?? []).Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g.Trim()).ToList();
        p.FamilyName = d.LegalName.Family.Trim();
        p.GivenNames = JsonSerializer.Serialize(given, Json);
        p.NamePrefix = Blank(d.LegalName.Prefix);
        p.NameSuffix = Blank(d.LegalName.Suffix);
        p.PreferredName = d.PreferredName is { } pn && !string.IsNullOrWhiteSpace(pn.Display)
            ? ToJson(pn with { Use = "usual", Family = pn.Family ?? "", Given = pn.Given ?? [] })
            : null;
        p.BirthDate = d.BirthDate;
        p.Gender = d.Gender;
        p.BirthSex = Blank(d.BirthSex);
        p.GenderIdentity = ToJson(d.GenderIdentity);
        p.Race = d.Race is { Count: > 0 } ? ToJson(d.Race) : null;
        p.RaceText = Blank(d.RaceText);
        p.Ethnicity = d.Ethnicity is { Count: > 0 } ? ToJson(d.Ethnicity) : null;
        p.EthnicityText = Blank(d.EthnicityText);
        p.PreferredLanguage = ToJson(d.PreferredLanguage);
        p.Addresses = d.Addresses is { Count: > 0 } ? ToJson(d.Addresses) : null;
        p.Telecom = d.Telecom is { Count: > 0 } ? ToJson(d.Telecom) : null;
        p.ContactPreferences = ToJson(d.ContactPreferences);
        p.EmergencyContact = ToJson(d.EmergencyContact);
        p.Guarantor = ToJson(d.Guarantor);
        p.DeceasedDate = d.DeceasedDate;

        p.FamilyNorm = SearchKeys.Name(p.FamilyName);
        p.GivenNorm = SearchKeys.Name(given.FirstOrDefault());
        var preferredGiven = d.PreferredName?.Given?.FirstOrDefault(g => !string.IsNullOrWhiteSpace(g));
        p.PreferredGivenNorm = preferredGiven is null ? null : SearchKeys.Name(preferredGiven);
        if (p.PreferredGivenNorm == p.GivenNorm) p.PreferredGivenNorm = null;

        var digits = PhoneDigitsOf(d.Telecom);
        p.Phones.RemoveAll(ph => !digits.Contains(ph.Digits));
        foreach (var dg in digits.Where(dg => p.Phones.All(ph => ph.Digits != dg)))
            p.Phones.Add(new PatientPhone { PatientId = p.Id, Digits = dg });
    }

    public static HashSet<string> PhoneDigitsOf(IReadOnlyList<ContactPoint>? telecom) =>
        (telecom ?? []).Where(t => t.System is "phone" or "sms")
            .Select(t => SearchKeys.PhoneDigits(t.Value)).Where(dg => dg.Length > 0).ToHashSet(StringComparer.Ordinal);

    public static PersonName LegalName(Patient p) =>
        new(p.FamilyName, FromJson<List<string>>(p.GivenNames) ?? [], p.NamePrefix, p.NameSuffix);

    public static PatientDetails Details(Patient p) => new(
        LegalName(p),
        p.BirthDate,
        p.Gender,
        FromJson<PersonName>(p.PreferredName),
        p.BirthSex,
        FromJson<Coding>(p.GenderIdentity),
        FromJson<List<Coding>>(p.Race),
        p.RaceText,
        FromJson<List<Coding>>(p.Ethnicity),
        p.EthnicityText,
        FromJson<Coding>(p.PreferredLanguage),
        FromJson<List<PostalAddress>>(p.Addresses),
        FromJson<List<ContactPoint>>(p.Telecom),
        FromJson<ContactPreferences>(p.ContactPreferences),
        FromJson<EmergencyContact>(p.EmergencyContact),
        FromJson<Guarantor>(p.Guarantor),
        p.DeceasedDate);

    public static PatientSnapshot Snapshot(Patient p, IEnumerable<Coverage> coverages) => new(
        new PatientId(p.Id), p.Mrn, p.Version, p.UpdatedAt, p.Active,
        p.MergedIntoId is { } m ? new PatientId(m) : null,
        Details(p),
        coverages.OrderBy(c => c.Active ? 0 : 1).ThenBy(c => c.Rank).Select(Snapshot).ToList());

    public static void Apply(Coverage c, CoverageDetails d)
    {
        c.Rank = d.Rank;
        c.PayerName = d.PayerName.Trim();
        c.PayerId = Blank(d.PayerId);
        c.PlanName = Blank(d.PlanName);
        c.MemberId = d.MemberId.Trim();
        c.MemberIdNorm = SearchKeys.MemberId(d.MemberId);
        c.GroupNumber = Blank(d.GroupNumber);
        c.SubscriberRelationship = d.SubscriberRelationship;
        c.SubscriberName = d.Subscriber is { } s && !string.IsNullOrWhiteSpace(s.Display) ? ToJson(s with { Given = s.Given ?? [] }) : null;
        c.SubscriberBirthDate = d.SubscriberBirthDate;
        c.EffectiveStart = d.EffectiveStart;
        c.EffectiveEnd = d.EffectiveEnd;
    }

    public static CoverageDetails Details(Coverage c) => new(
        c.Rank, c.PayerName, c.PayerId, c.PlanName, c.MemberId, c.GroupNumber, c.SubscriberRelationship,
        FromJson<PersonName>(c.SubscriberName), c.SubscriberBirthDate, c.EffectiveStart, c.EffectiveEnd);

    public static CoverageSnapshot Snapshot(Coverage c) =>
        new(new CoverageId(c.Id), new PatientId(c.PatientId), c.Version, c.UpdatedAt, c.Active, Details(c));

    public static string DisplayName(Patient p) =>
        LegalName(p).Display;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
