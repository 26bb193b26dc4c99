using System.Globalization;
using System.Text.RegularExpressions;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;

namespace Meridian.Patients.Ui;

/// <summary>
/// The registration / demographics form as the browser posts it: every field a string (or a checkbox) so that whatever
/// the user typed comes back on the re-rendered form, even when it does not parse. <see cref="ToDetails"/> turns it into
/// the handler's <see cref="PatientDetails"/>; <see cref="MapError"/> maps the handler's field names back onto the inputs.
/// </summary>
public sealed partial class PatientForm
{
    public string? Family { get; set; }
    public string? Given { get; set; }
    public string? Middle { get; set; }
    public string? PreferredGiven { get; set; }
    public string? BirthDate { get; set; }
    public string? Gender { get; set; }
    public string? BirthSex { get; set; }
    public string? GenderIdentity { get; set; }
    public bool RaceAmericanIndian { get; set; }
    public bool RaceAsian { get; set; }
    public bool RaceBlack { get; set; }
    public bool RacePacificIslander { get; set; }
    public bool RaceWhite { get; set; }
    public bool RaceDeclined { get; set; }
    public string? Ethnicity { get; set; }
    public string? Language { get; set; }
    public string? Line1 { get; set; }
    public string? Line2 { get; set; }
    public string? City { get; set; }
    public string? State { get; set; }
    public string? PostalCode { get; set; }
    public string? MobilePhone { get; set; }
    public string? HomePhone { get; set; }
    public string? WorkPhone { get; set; }
    public string? Email { get; set; }
    public string? PreferredChannel { get; set; }
    public bool AllowSms { get; set; }
    public bool AllowEmail { get; set; }
    public bool AllowVoicemail { get; set; }
    public bool AllowPortal { get; set; }
    public string? EmergencyName { get; set; }
    public string? EmergencyRelationship { get; set; }
    public string? EmergencyPhone { get; set; }
    public string? GuarantorRelationship { get; set; }
    public string? GuarantorFamily { get; set; }
    public string? GuarantorGiven { get; set; }
    public string? GuarantorBirthDate { get; set; }
    public string? GuarantorPhone { get; set; }
    public string? DeceasedDate { get; set; }

    /// <summary>A new, empty registration: contact by every channel unless the patient says otherwise.</summary>
    public static PatientForm New() => new() { AllowSms = true, AllowEmail = true, AllowVoicemail = true, AllowPortal = true, GuarantorRelationship = "self" };

    // OMB minimum race categories with their CDC Race & Ethnicity codes (urn:oid:2.16.840.1.113883.6.238), as US Core Race uses them.
    public static readonly IReadOnlyList<(string Key, string Code, string Display)> RaceCategories =
    [
        (nameof(RaceAmericanIndian), "1002-5", "American Indian or Alaska Native"),
        (nameof(RaceAsian), "2028-9", "Asian"),
        (nameof(RaceBlack), "2054-5", "Black or African American"),
        (nameof(RacePacificIslander), "2076-8", "Native Hawaiian or Other Pacific Islander"),
        (nameof(RaceWhite), "2106-3", "White"),
    ];

    public static readonly IReadOnlyList<(string Value, string Text)> Ethnicities =
    [
        ("", "—"), ("2135-2", "Hispanic or Latino"), ("2186-5", "Not Hispanic or Latino"), ("ASKU", "Declined to answer"),
    ];

    public static readonly IReadOnlyList<(string Value, string Text)> Genders =
        [("", "Select…"), ("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown")];

    public static readonly IReadOnlyList<(string Value, string Text)> BirthSexes =
        [("", "—"), ("F", "Female"), ("M", "Male"), ("ASKU", "Asked but declined"), ("UNK", "Unknown")];

    // US Core 6.1 gender identity value set (SNOMED CT + NullFlavor).
    public static readonly IReadOnlyList<(string Value, string Text, string System)> GenderIdentities =
    [
        ("446151000124109", "Identifies as male gender", CodeSystems.Snomed),
        ("446141000124107", "Identifies as female gender", CodeSystems.Snomed),
        ("33791000087105", "Identifies as nonbinary gender", CodeSystems.Snomed),
        ("OTH", "Other", CodeSystems.NullFlavor),
        ("ASKU", "Asked but declined", CodeSystems.NullFlavor),
        ("UNK", "Unknown", CodeSystems.NullFlavor),
    ];

    public static readonly IReadOnlyList<(string Value, string Text)> Languages =
    [
        ("", "—"), ("en", "English"), ("es", "Spanish"), ("zh", "Chinese"), ("vi", "Vietnamese"), ("tl", "Tagalog"), ("ar", "Arabic"),
        ("fr", "French"), ("ko", "Korean"), ("ru", "Russian"), ("de", "German"), ("ht", "Haitian Creole"), ("pt", "Portuguese"),
        ("hi", "Hindi"), ("pl", "Polish"), ("ase", "American Sign Language"),
    ];

    public static readonly IReadOnlyList<(string Value, string Text)> Channels =
        [("", "No preference"), ("phone", "Phone call"), ("sms", "Text message"), ("email", "Email"), ("mail", "Mail"), ("portal", "Patient portal")];

    // HL7 v3 RoleCode (personal relationships) for the emergency contact.
    public static readonly IReadOnlyList<(string Value, string Text)> Relationships =
    [
        ("", "—"), ("SPS", "Spouse"), ("DOMPART", "Domestic partner"), ("PRN", "Parent"), ("CHILD", "Child"), ("SIB", "Sibling"),
        ("FRND", "Friend"), ("GUARD", "Guardian"), ("FAMMEMB", "Other family member"), ("C", "Emergency contact"),
    ];

    public static readonly IReadOnlyList<(string Value, string Text)> GuarantorRelationships =
        [("self", "Self (the patient)"), ("spouse", "Spouse"), ("parent", "Parent"), ("guardian", "Guardian"), ("child", "Child"), ("other", "Other")];

    public static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        [nameof(Family)] = "Family name", [nameof(Given)] = "Given name", [nameof(Middle)] = "Middle name",
        [nameof(PreferredGiven)] = "Preferred name", [nameof(BirthDate)] = "Date of birth", [nameof(Gender)] = "Sex (administrative)",
        [nameof(BirthSex)] = "Sex assigned at birth", [nameof(GenderIdentity)] = "Gender identity", ["Race"] = "Race",
        [nameof(Ethnicity)] = "Ethnicity", [nameof(Language)] = "Preferred language", [nameof(Line1)] = "Street address",
        [nameof(Line2)] = "Address line 2", [nameof(City)] = "City", [nameof(State)] = "State", [nameof(PostalCode)] = "ZIP code",
        [nameof(MobilePhone)] = "Mobile phone", [nameof(HomePhone)] = "Home phone", [nameof(WorkPhone)] = "Work phone",
        [nameof(Email)] = "Email", [nameof(PreferredChannel)] = "Preferred contact method", [nameof(EmergencyName)] = "Emergency contact name",
        [nameof(EmergencyRelationship)] = "Emergency contact relationship", [nameof(EmergencyPhone)] = "Emergency contact phone",
        [nameof(GuarantorRelationship)] = "Guarantor", [nameof(GuarantorFamily)] = "Guarantor family name",
        [nameof(GuarantorGiven)] = "Guarantor given name", [nameof(GuarantorBirthDate)] = "Guarantor date of birth",
        [nameof(GuarantorPhone)] = "Guarantor phone", [nameof(DeceasedDate)] = "Date of death",
    };

    public static PatientForm From(PatientDetails d)
    {
        var phones = d.Telecom ?? [];
        string? Phone(string use) => phones.FirstOrDefault(t => t.System == "phone" && t.Use == use)?.Value;
        var address = d.Addresses?.FirstOrDefault();
        var race = (d.Race ?? []).Select(r => r.Code).ToHashSet(StringComparer.Ordinal);
        var prefs = d.ContactPreferences ?? new ContactPreferences();
        return new PatientForm
        {
            Family = d.LegalName.Family,
            Given = d.LegalName.Given.ElementAtOrDefault(0),
            Middle = d.LegalName.Given.Count > 1 ? string.Join(' ', d.LegalName.Given.Skip(1)) : null,
            PreferredGiven = d.PreferredName?.Given.FirstOrDefault(),
            BirthDate = Iso(d.BirthDate),
            Gender = d.Gender,
            BirthSex = d.BirthSex,
            GenderIdentity = d.GenderIdentity?.Code,
            RaceAmericanIndian = race.Contains("1002-5"), RaceAsian = race.Contains("2028-9"), RaceBlack = race.Contains("2054-5"),
            RacePacificIslander = race.Contains("2076-8"), RaceWhite = race.Contains("2106-3"), RaceDeclined = race.Contains("ASKU"),
            Ethnicity = d.Ethnicity?.FirstOrDefault()?.Code,
            Language = d.PreferredLanguage?.Code,
            Line1 = address?.Lines.ElementAtOrDefault(0), Line2 = address?.Lines.ElementAtOrDefault(1),
            City = address?.City, State = address?.State, PostalCode = address?.PostalCode,
            // A phone without a use is shown as the home phone, so it is not lost on save.
            MobilePhone = Phone("mobile"), HomePhone = Phone("home") ?? phones.FirstOrDefault(t => t.System == "phone" && t.Use is null)?.Value,
            WorkPhone = Phone("work"),
            Email = phones.FirstOrDefault(t => t.System == "email")?.Value,
            PreferredChannel = prefs.PreferredChannel, AllowSms = prefs.AllowSms, AllowEmail = prefs.AllowEmail,
            AllowVoicemail = prefs.AllowVoicemail, AllowPortal = prefs.AllowPortal,
            EmergencyName = d.EmergencyContact?.Name, EmergencyRelationship = d.EmergencyContact?.Relationship?.Code,
            EmergencyPhone = d.EmergencyContact?.Phone,
            GuarantorRelationship = d.Guarantor?.Relationship ?? "self",
            GuarantorFamily = d.Guarantor?.Name?.Family, GuarantorGiven = d.Guarantor?.Name?.Given.FirstOrDefault(),
            GuarantorBirthDate = d.Guarantor?.BirthDate is { } gb ? Iso(gb) : null, GuarantorPhone = d.Guarantor?.Phone,
            DeceasedDate = d.DeceasedDate is { } dd ? Iso(dd) : null,
        };
    }

    /// <summary>
    /// The handler's request. <paramref name="basis"/> (the record being edited) keeps what this form does not show:
    /// further addresses and contact points, name prefix/suffix, free-text race. Unparseable dates become errors.
    /// </summary>
    public PatientDetails ToDetails(FormErrors errors, PatientDetails? basis = null)
    {
        var given = new List<string>();
        if (T(Given) is { } g) given.Add(g);
        if (T(Middle) is { } m) given.AddRange(m.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var legal = new PersonName(T(Family) ?? "", given, basis?.LegalName.Prefix, basis?.LegalName.Suffix);
        var preferred = T(PreferredGiven) is { } pg ? new PersonName(T(Family) ?? "", [pg], Use: "usual") : null;

        var race = RaceCategories.Where(r => IsChecked(r.Key)).Select(r => new Coding(CodeSystems.CdcRaceEthnicity, r.Code, r.Display)).ToList();
        if (RaceDeclined) race.Add(new Coding(CodeSystems.NullFlavor, "ASKU", "Asked but no answer"));
        List<Coding>? ethnicity = T(Ethnicity) switch
        {
            null => null,
            "ASKU" => [new Coding(CodeSystems.NullFlavor, "ASKU", "Asked but no answer")],
            var code => [new Coding(CodeSystems.CdcRaceEthnicity, code, Ethnicities.FirstOrDefault(e => e.Value == code).Text ?? code)],
        };
        var identity = T(GenderIdentity) is { } gi
            ? GenderIdentities.FirstOrDefault(x => x.Value == gi) is { Value: not null } known ? new Coding(known.System, known.Value, known.Text) : new Coding(CodeSystems.Snomed, gi)
            : null;
        var language = T(Language) is { } lang ? new Coding(CodeSystems.Bcp47, lang, Languages.FirstOrDefault(l => l.Value == lang).Text) : null;

        var addresses = (basis?.Addresses ?? []).Skip(1).ToList();
        var lines = new[] { T(Line1), T(Line2) }.OfType<string>().ToList();
        if (lines.Count > 0 || T(City) is not null || T(State) is not null || T(PostalCode) is not null)
            addresses.Insert(0, new PostalAddress(lines, T(City) ?? "", T(State)?.ToUpperInvariant(), T(PostalCode)));

        // Telecom order is remembered so that the handler's "telecom[i]" errors land on the right input.
        TelecomKeys.Clear();
        var telecom = new List<ContactPoint>();
        void Add(string key, string system, string? value, string? use)
        {
            if (T(value) is not { } v) return;
            TelecomKeys.Add(key);
            telecom.Add(new ContactPoint(system, v, use, telecom.Count + 1));
        }
        var channel = T(PreferredChannel);
        // The preferred phone goes first (rank 1): mobile when texting is preferred, otherwise the first one given.
        Add(nameof(MobilePhone), "phone", MobilePhone, "mobile");
        Add(nameof(HomePhone), "phone", HomePhone, "home");
        Add(nameof(WorkPhone), "phone", WorkPhone, "work");
        Add(nameof(Email), "email", Email, null);
        foreach (var other in (basis?.Telecom ?? []).Where(t => t.System is not ("phone" or "email") || (t.System == "phone" && t.Use is not ("mobile" or "home" or "work" or null))))
        {
            TelecomKeys.Add(nameof(HomePhone));
            telecom.Add(other with { Rank = telecom.Count + 1 });
        }

        var emergency = T(EmergencyName) is not null || T(EmergencyPhone) is not null
            ? new EmergencyContact(T(EmergencyName) ?? "",
                T(EmergencyRelationship) is { } rel ? new Coding("http://terminology.hl7.org/CodeSystem/v3-RoleCode", rel, Relationships.FirstOrDefault(r => r.Value == rel).Text) : null,
                T(EmergencyPhone), basis?.EmergencyContact?.Email)
            : null;

        var guarantorRel = T(GuarantorRelationship) ?? "self";
        var guarantor = guarantorRel == "self"
            ? new Guarantor("self")
            : new Guarantor(guarantorRel,
                T(GuarantorFamily) is null && T(GuarantorGiven) is null ? null : new PersonName(T(GuarantorFamily) ?? "", T(GuarantorGiven) is { } gg ? [gg] : []),
                Date(nameof(GuarantorBirthDate), GuarantorBirthDate, errors), basis?.Guarantor?.Address, T(GuarantorPhone));

        return new PatientDetails(
            legal,
            Date(nameof(BirthDate), BirthDate, errors) ?? default,
            T(Gender) ?? "",
            preferred,
            T(BirthSex),
            identity,
            race.Count > 0 ? race : null,
            basis?.RaceText,
            ethnicity,
            basis?.EthnicityText,
            language,
            addresses,
            telecom,
            new ContactPreferences(channel, AllowSms, AllowEmail, AllowVoicemail, AllowPortal),
            emergency,
            guarantor,
            Date(nameof(DeceasedDate), DeceasedDate, errors) ?? basis?.DeceasedDate);
    }

    /// <summary>Form field of each ContactPoint sent, in order (filled by <see cref="ToDetails"/>).</summary>
    public List<string> TelecomKeys { get; } = [];

    /// <summary>The form field a handler error ("patient.legalName.given[1]", "patient.telecom[2].value") belongs to.</summary>
    public string MapError(string field)
    {
        var f = field.StartsWith("patient.", StringComparison.Ordinal) ? field["patient.".Length..] : field;
        if (f.StartsWith("legalName.given[", StringComparison.Ordinal)) return f.StartsWith("legalName.given[0]", StringComparison.Ordinal) ? nameof(Given) : nameof(Middle);
        if (f.StartsWith("legalName.given", StringComparison.Ordinal)) return nameof(Given);
        if (f.StartsWith("legalName", StringComparison.Ordinal)) return nameof(Family);
        if (f.StartsWith("preferredName", StringComparison.Ordinal)) return nameof(PreferredGiven);
        if (f.StartsWith("genderIdentity", StringComparison.Ordinal)) return nameof(GenderIdentity);
        if (f.StartsWith("race", StringComparison.Ordinal)) return "Race";
        if (f.StartsWith("ethnicity", StringComparison.Ordinal)) return nameof(Ethnicity);
        if (f.StartsWith("preferredLanguage", StringComparison.Ordinal)) return nameof(Language);
        if (AddressField().Match(f) is { Success: true } a)
            return a.Groups[1].Value switch
            {
                "lines[1]" => nameof(Line2),
                "city" => nameof(City),
                "state" => nameof(State),
                "postalCode" => nameof(PostalCode),
                _ => nameof(Line1),
            };
        if (TelecomField().Match(f) is { Success: true } t)
            return int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture) is var i && i < TelecomKeys.Count ? TelecomKeys[i] : nameof(HomePhone);
        if (f.StartsWith("telecom", StringComparison.Ordinal)) return nameof(HomePhone);
        if (f.StartsWith("contactPreferences", StringComparison.Ordinal)) return nameof(PreferredChannel);
        if (f.StartsWith("emergencyContact.phone", StringComparison.Ordinal)) return nameof(EmergencyPhone);
        if (f.StartsWith("emergencyContact.relationship", StringComparison.Ordinal)) return nameof(EmergencyRelationship);
        if (f.StartsWith("emergencyContact", StringComparison.Ordinal)) return nameof(EmergencyName);
        if (f.StartsWith("guarantor.name.given", StringComparison.Ordinal)) return nameof(GuarantorGiven);
        if (f.StartsWith("guarantor.name", StringComparison.Ordinal)) return nameof(GuarantorFamily);
        if (f.StartsWith("guarantor.birthDate", StringComparison.Ordinal)) return nameof(GuarantorBirthDate);
        if (f.StartsWith("guarantor.phone", StringComparison.Ordinal)) return nameof(GuarantorPhone);
        if (f.StartsWith("guarantor", StringComparison.Ordinal)) return nameof(GuarantorRelationship);
        return f switch
        {
            "birthDate" => nameof(BirthDate),
            "gender" => nameof(Gender),
            "birthSex" => nameof(BirthSex),
            "deceasedDate" => nameof(DeceasedDate),
            _ => f,
        };
    }

    public static string Label(string key) => Labels.TryGetValue(key, out var l) ? l : CoverageForm.Label(key);

    private bool IsChecked(string key) => key switch
    {
        nameof(RaceAmericanIndian) => RaceAmericanIndian,
        nameof(RaceAsian) => RaceAsian,
        nameof(RaceBlack) => RaceBlack,
        nameof(RacePacificIslander) => RacePacificIslander,
        nameof(RaceWhite) => RaceWhite,
        _ => false,
    };

    public bool RaceChecked(string key) => IsChecked(key);

    internal static string? T(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    internal static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A yyyy-MM-dd date (what input type=date posts) or MM/DD/YYYY typed without the date picker.</summary>
    internal static DateOnly? Date(string key, string? text, FormErrors errors)
    {
        if (T(text) is not { } s) return null;
        if (DateOnly.TryParseExact(s, ["yyyy-MM-dd", "MM/dd/yyyy", "M/d/yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        errors.Add(key, "must be a date (MM/DD/YYYY).");
        return null;
    }

    [GeneratedRegex(@"^addresses\[0\]\.?(.*)$")]
    private static partial Regex AddressField();
    [GeneratedRegex(@"^telecom\[(\d+)\]")]
    private static partial Regex TelecomField();
}
