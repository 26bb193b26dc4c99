using Meridian.Patients.Contracts;

namespace Meridian.Patients.Ui;

/// <summary>One insurance coverage as the form posts it (strings, so what was typed survives a failed save).</summary>
public sealed class CoverageForm
{
    public string? Rank { get; set; }
    public string? PayerName { get; set; }
    public string? PayerId { get; set; }
    public string? PlanName { get; set; }
    public string? MemberId { get; set; }
    public string? GroupNumber { get; set; }
    public string? SubscriberRelationship { get; set; }
    public string? SubscriberFamily { get; set; }
    public string? SubscriberGiven { get; set; }
    public string? SubscriberBirthDate { get; set; }
    public string? EffectiveStart { get; set; }
    public string? EffectiveEnd { get; set; }

    public static readonly IReadOnlyList<(string Value, string Text)> Ranks = [("1", "1 – Primary"), ("2", "2 – Secondary"), ("3", "3 – Tertiary")];

    // http://terminology.hl7.org/CodeSystem/subscriber-relationship
    public static readonly IReadOnlyList<(string Value, string Text)> SubscriberRelationships =
    [
        ("self", "Self"), ("spouse", "Spouse"), ("child", "Child"), ("parent", "Parent"), ("common", "Common-law spouse"),
        ("other", "Other"), ("injured", "Injured party"),
    ];

    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        [nameof(Rank)] = "Rank", [nameof(PayerName)] = "Payer", [nameof(PayerId)] = "Payer id", [nameof(PlanName)] = "Plan",
        [nameof(MemberId)] = "Member id", [nameof(GroupNumber)] = "Group number", [nameof(SubscriberRelationship)] = "Subscriber relationship",
        [nameof(SubscriberFamily)] = "Subscriber family name", [nameof(SubscriberGiven)] = "Subscriber given name",
        [nameof(SubscriberBirthDate)] = "Subscriber date of birth", [nameof(EffectiveStart)] = "Effective from", [nameof(EffectiveEnd)] = "Effective to",
        ["Coverages"] = "Insurance",
    };

    /// <summary>"Coverages[1].MemberId" → "Coverage 2 member id"; "MemberId" → "Member id".</summary>
    public static string Label(string key)
    {
        var dot = key.LastIndexOf('.');
        var field = dot < 0 ? key : key[(dot + 1)..];
        var label = Labels.TryGetValue(field, out var l) ? l : field;
        if (dot > 0 && key.StartsWith("Coverages[", StringComparison.Ordinal) && int.TryParse(key.AsSpan(10, key.IndexOf(']') - 10), out var slot))
            return $"Insurance {slot + 1}: {label}";
        return label;
    }

    /// <summary>Blank slots on the registration form are not coverages.</summary>
    public bool IsBlank => PatientForm.T(PayerName) is null && PatientForm.T(MemberId) is null && PatientForm.T(PlanName) is null
                           && PatientForm.T(GroupNumber) is null && PatientForm.T(SubscriberFamily) is null;

    public static CoverageForm From(CoverageDetails c) => new()
    {
        Rank = c.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture),
        PayerName = c.PayerName, PayerId = c.PayerId, PlanName = c.PlanName, MemberId = c.MemberId, GroupNumber = c.GroupNumber,
        SubscriberRelationship = c.SubscriberRelationship, SubscriberFamily = c.Subscriber?.Family, SubscriberGiven = c.Subscriber?.Given.FirstOrDefault(),
        SubscriberBirthDate = c.SubscriberBirthDate is { } sb ? PatientForm.Iso(sb) : null,
        EffectiveStart = c.EffectiveStart is { } s ? PatientForm.Iso(s) : null,
        EffectiveEnd = c.EffectiveEnd is { } e ? PatientForm.Iso(e) : null,
    };

    /// <param name="keyPrefix">The form key prefix of this coverage's fields ("Coverages[0]." or "").</param>
    public CoverageDetails ToDetails(FormErrors errors, string keyPrefix)
    {
        var rank = 0;
        if (PatientForm.T(Rank) is { } r && !int.TryParse(r, out rank)) errors.Add(keyPrefix + nameof(Rank), "must be 1, 2 or 3.");
        var subscriber = PatientForm.T(SubscriberFamily) is null && PatientForm.T(SubscriberGiven) is null
            ? null
            : new PersonName(PatientForm.T(SubscriberFamily) ?? "", PatientForm.T(SubscriberGiven) is { } g ? [g] : []);
        return new CoverageDetails(rank, PatientForm.T(PayerName) ?? "", PatientForm.T(PayerId), PatientForm.T(PlanName), PatientForm.T(MemberId) ?? "",
            PatientForm.T(GroupNumber), PatientForm.T(SubscriberRelationship) ?? "self", subscriber,
            PatientForm.Date(keyPrefix + nameof(SubscriberBirthDate), SubscriberBirthDate, errors),
            PatientForm.Date(keyPrefix + nameof(EffectiveStart), EffectiveStart, errors),
            PatientForm.Date(keyPrefix + nameof(EffectiveEnd), EffectiveEnd, errors));
    }

    /// <summary>The form field of a handler coverage error, after its prefix ("memberId", "subscriber.given").</summary>
    public static string MapField(string field) => field switch
    {
        _ when field.StartsWith("subscriber.given", StringComparison.Ordinal) => nameof(SubscriberGiven),
        _ when field.StartsWith("subscriberBirthDate", StringComparison.Ordinal) => nameof(SubscriberBirthDate),
        _ when field.StartsWith("subscriberRelationship", StringComparison.Ordinal) => nameof(SubscriberRelationship),
        _ when field.StartsWith("subscriber", StringComparison.Ordinal) => nameof(SubscriberFamily),
        "" => nameof(PayerName),
        _ => char.ToUpperInvariant(field[0]) + field[1..],
    };
}
