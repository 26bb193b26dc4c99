namespace Meridian.Patients.Domain;

/// <summary>
/// A registered patient. Scalar demographics are columns; repeating or nested parts (addresses, telecom, codings,
/// emergency contact, guarantor) are JSON documents because nothing queries inside them — search goes through the
/// normalized columns and <see cref="PatientPhone"/> rows, which are rewritten from the details on every save.
/// </summary>
internal sealed class Patient
{
    public Guid Id { get; set; }
    public string Mrn { get; set; } = "";
    /// <summary>Optimistic concurrency token; FHIR meta.versionId and the ETag.</summary>
    public int Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public bool Active { get; set; } = true;
    public Guid? MergedIntoId { get; set; }

    // Legal (official) name.
    public string FamilyName { get; set; } = "";
    /// <summary>JSON array of given names, in order (first, middle…).</summary>
    public string GivenNames { get; set; } = "[]";
    public string? NamePrefix { get; set; }
    public string? NameSuffix { get; set; }
    /// <summary>JSON PersonName with use "usual", or null.</summary>
    public string? PreferredName { get; set; }

    public DateOnly BirthDate { get; set; }
    public string Gender { get; set; } = "unknown";
    public string? BirthSex { get; set; }
    public string? GenderIdentity { get; set; }
    public string? Race { get; set; }
    public string? RaceText { get; set; }
    public string? Ethnicity { get; set; }
    public string? EthnicityText { get; set; }
    public string? PreferredLanguage { get; set; }
    public string? Addresses { get; set; }
    public string? Telecom { get; set; }
    public string? ContactPreferences { get; set; }
    public string? EmergencyContact { get; set; }
    public string? Guarantor { get; set; }
    public DateOnly? DeceasedDate { get; set; }

    /// <summary>Set when the front desk registered this patient despite a duplicate warning: the chart shows an alert until reviewed.</summary>
    public string? PossibleDuplicateOf { get; set; }

    // Search support: lower-case, accent-stripped (see NameNormalizer). Prefix search is an index range scan on these.
    public string FamilyNorm { get; set; } = "";
    public string GivenNorm { get; set; } = "";
    public string? PreferredGivenNorm { get; set; }

    public List<Coverage> Coverages { get; set; } = [];
    public List<PatientPhone> Phones { get; set; } = [];
}

/// <summary>One phone number of a patient, as digits only (US numbers without the leading country code 1).</summary>
internal sealed class PatientPhone
{
    public Guid PatientId { get; set; }
    public string Digits { get; set; } = "";
}

internal sealed class Coverage
{
    public Guid Id { get; set; }
    public Guid PatientId { get; set; }
    public int Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public bool Active { get; set; } = true;
    /// <summary>1 = primary, 2 = secondary, 3 = tertiary (FHIR Coverage.order). Unique among a patient's active coverages.</summary>
    public int Rank { get; set; }
    public string PayerName { get; set; } = "";
    public string? PayerId { get; set; }
    public string? PlanName { get; set; }
    public string MemberId { get; set; } = "";
    /// <summary>Member id upper-cased without spaces or dashes, as cards print it differently.</summary>
    public string MemberIdNorm { get; set; } = "";
    public string? GroupNumber { get; set; }
    public string SubscriberRelationship { get; set; } = "self";
    /// <summary>JSON PersonName, or null when the patient is the subscriber.</summary>
    public string? SubscriberName { get; set; }
    public DateOnly? SubscriberBirthDate { get; set; }
    public DateOnly? EffectiveStart { get; set; }
    public DateOnly? EffectiveEnd { get; set; }
}

/// <summary>
/// The review record of a merge. Both patients stay in the database (the merged one inactive, pointing at the survivor);
/// this row keeps who merged, when, why, and both records as they were just before, so a reviewer can check or undo by hand.
/// </summary>
internal sealed class PatientMerge
{
    public Guid Id { get; set; }
    public Guid SurvivorId { get; set; }
    public Guid MergedId { get; set; }
    public string Reason { get; set; } = "";
    public DateTimeOffset MergedAt { get; set; }
    public string? MergedByUserId { get; set; }
    public string? MergedByUserName { get; set; }
    public string SurvivorSnapshot { get; set; } = "";
    public string MergedSnapshot { get; set; } = "";
}

/// <summary>A named counter (the MRN sequence). last_value is the last number handed out; incremented with UPDATE … RETURNING inside the registering transaction.</summary>
internal sealed class Counter
{
    public string Name { get; set; } = "";
    public long LastValue { get; set; }
}
