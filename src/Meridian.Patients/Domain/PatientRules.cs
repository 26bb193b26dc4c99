using System.Text.RegularExpressions;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;

namespace Meridian.Patients.Domain;

/// <summary>
/// Registration rules. Every problem is reported at once (field → messages) so a form can show them inline.
/// JSON deserialization does not enforce non-nullable reference types, so every member is checked for null here.
/// </summary>
internal static partial class PatientRules
{
    public static readonly string[] Genders = ["male", "female", "other", "unknown"];       // FHIR administrative-gender (required binding)
    public static readonly string[] BirthSexes = ["F", "M", "ASKU", "UNK"];                  // US Core Birth Sex
    public static readonly string[] NameUses = ["official", "usual", "nickname", "old", "maiden", "temp", "anonymous"];
    public static readonly string[] AddressUses = ["home", "work", "temp", "old", "billing"];
    public static readonly string[] TelecomSystems = ["phone", "fax", "email", "pager", "url", "sms", "other"];
    public static readonly string[] TelecomUses = ["home", "work", "temp", "old", "mobile"];
    public static readonly string[] Channels = ["phone", "sms", "email", "mail", "portal"];
    public static readonly string[] GuarantorRelationships = ["self", "spouse", "parent", "guardian", "child", "other"];
    // http://terminology.hl7.org/CodeSystem/subscriber-relationship
    public static readonly string[] SubscriberRelationships = ["self", "spouse", "child", "parent", "common", "other", "injured"];
    public static readonly DateOnly EarliestBirthDate = new(1900, 1, 1);

    public static void Validate(PatientDetails? d, DateOnly today, Validator v, string prefix = "")
    {
        if (d is null)
        {
            v.Add(prefix.TrimEnd('.') is { Length: > 0 } p ? p : "patient", "is required.");
            return;
        }
        Name(v, prefix + "legalName", d.LegalName, required: true);
        if (d.PreferredName is not null) Name(v, prefix + "preferredName", d.PreferredName, required: false);

        if (d.BirthDate == default) v.Add(prefix + "birthDate", "is required.");
        else if (d.BirthDate > today) v.Add(prefix + "birthDate", "must not be in the future.");
        else if (d.BirthDate < EarliestBirthDate) v.Add(prefix + "birthDate", "must not be before 1900-01-01.");

        if (string.IsNullOrWhiteSpace(d.Gender)) v.Add(prefix + "gender", "is required.");
        else if (!Genders.Contains(d.Gender)) v.Add(prefix + "gender", $"must be one of {string.Join(", ", Genders)}.");
        if (d.BirthSex is { Length: > 0 } bs && !BirthSexes.Contains(bs))
            v.Add(prefix + "birthSex", $"must be one of {string.Join(", ", BirthSexes)}.");
        Code(v, prefix + "genderIdentity", d.GenderIdentity);
        Codes(v, prefix + "race", d.Race, [CodeSystems.CdcRaceEthnicity, CodeSystems.NullFlavor]);
        Codes(v, prefix + "ethnicity", d.Ethnicity, [CodeSystems.CdcRaceEthnicity, CodeSystems.NullFlavor]);
        Text(v, prefix + "raceText", d.RaceText, Limits.Text);
        Text(v, prefix + "ethnicityText", d.EthnicityText, Limits.Text);
        if (d.PreferredLanguage is { } lang)
        {
            Code(v, prefix + "preferredLanguage", lang);
            if (lang.System != CodeSystems.Bcp47) v.Add(prefix + "preferredLanguage.system", $"must be {CodeSystems.Bcp47}.");
            if (lang.Code is { } lc && !LanguageTag().IsMatch(lc)) v.Add(prefix + "preferredLanguage.code", "must be a BCP-47 language tag such as en or es-MX.");
        }

        var addresses = d.Addresses ?? [];
        if (addresses.Count > Limits.MaxAddresses) v.Add(prefix + "addresses", $"must have at most {Limits.MaxAddresses} entries.");
        for (var i = 0; i < addresses.Count; i++) Address(v, $"{prefix}addresses[{i}]", addresses[i]);

        var telecom = d.Telecom ?? [];
        if (telecom.Count > Limits.MaxTelecom) v.Add(prefix + "telecom", $"must have at most {Limits.MaxTelecom} entries.");
        for (var i = 0; i < telecom.Count; i++) Telecom(v, $"{prefix}telecom[{i}]", telecom[i]);

        if (d.ContactPreferences?.PreferredChannel is { Length: > 0 } ch && !Channels.Contains(ch))
            v.Add(prefix + "contactPreferences.preferredChannel", $"must be one of {string.Join(", ", Channels)}.");

        if (d.EmergencyContact is { } ec)
        {
            Text(v, prefix + "emergencyContact.name", ec.Name, Limits.Text, required: true);
            Code(v, prefix + "emergencyContact.relationship", ec.Relationship);
            if (ec.Phone is { Length: > 0 }) Phone(v, prefix + "emergencyContact.phone", ec.Phone);
            if (ec.Email is { Length: > 0 }) Email(v, prefix + "emergencyContact.email", ec.Email);
        }

        if (d.Guarantor is { } g)
        {
            if (string.IsNullOrWhiteSpace(g.Relationship) || !GuarantorRelationships.Contains(g.Relationship))
                v.Add(prefix + "guarantor.relationship", $"must be one of {string.Join(", ", GuarantorRelationships)}.");
            else if (g.Relationship != "self")
            {
                if (g.Name is null) v.Add(prefix + "guarantor.name", "is required when the guarantor is not the patient.");
                else Name(v, prefix + "guarantor.name", g.Name, required: true);
            }
            if (g.BirthDate is { } gb && (gb > today || gb < EarliestBirthDate)) v.Add(prefix + "guarantor.birthDate", "must be a past date after 1900-01-01.");
            if (g.Address is not null) Address(v, prefix + "guarantor.address", g.Address);
            if (g.Phone is { Length: > 0 }) Phone(v, prefix + "guarantor.phone", g.Phone);
        }

        if (d.DeceasedDate is { } dd)
        {
            if (dd > today) v.Add(prefix + "deceasedDate", "must not be in the future.");
            if (d.BirthDate != default && dd < d.BirthDate) v.Add(prefix + "deceasedDate", "must not be before the birth date.");
        }
    }

    public static void Validate(CoverageDetails? c, DateOnly today, Validator v, string prefix)
    {
        if (c is null)
        {
            v.Add(prefix.TrimEnd('.'), "is required.");
            return;
        }
        if (c.Rank is < 1 or > 3) v.Add(prefix + "rank", "must be 1 (primary), 2 (secondary) or 3 (tertiary).");
        Text(v, prefix + "payerName", c.PayerName, Limits.Text, required: true);
        Text(v, prefix + "payerId", c.PayerId, Limits.Short);
        Text(v, prefix + "planName", c.PlanName, Limits.Text);
        Text(v, prefix + "memberId", c.MemberId, Limits.Identifier, required: true);
        if (c.MemberId is { Length: > 0 } && SearchKeys.MemberId(c.MemberId).Length == 0)
            v.Add(prefix + "memberId", "must contain letters or digits.");
        Text(v, prefix + "groupNumber", c.GroupNumber, Limits.Identifier);
        if (string.IsNullOrWhiteSpace(c.SubscriberRelationship) || !SubscriberRelationships.Contains(c.SubscriberRelationship))
            v.Add(prefix + "subscriberRelationship", $"must be one of {string.Join(", ", SubscriberRelationships)}.");
        else if (c.SubscriberRelationship != "self" && c.Subscriber is null)
            v.Add(prefix + "subscriber", "is required when the patient is not the subscriber.");
        if (c.Subscriber is not null) Name(v, prefix + "subscriber", c.Subscriber, required: true);
        if (c.SubscriberBirthDate is { } sb && (sb > today || sb < EarliestBirthDate))
            v.Add(prefix + "subscriberBirthDate", "must be a past date after 1900-01-01.");
        if (c.EffectiveStart is { } s && c.EffectiveEnd is { } e && e < s)
            v.Add(prefix + "effectiveEnd", "must not be before the effective start.");
    }

    /// <summary>Ranks 1..3 at most once each among the coverages registered together.</summary>
    public static void ValidateRanks(IReadOnlyList<CoverageDetails?> coverages, Validator v)
    {
        if (coverages.Count > 3) v.Add("coverages", "at most three coverages (primary, secondary, tertiary) can be active.");
        foreach (var dup in coverages.Where(c => c is not null).GroupBy(c => c!.Rank).Where(g => g.Count() > 1))
            v.Add("coverages", $"rank {dup.Key} is used more than once; each rank (1 primary, 2 secondary, 3 tertiary) can be used once.");
    }

    private static void Name(Validator v, string field, PersonName? n, bool required)
    {
        if (n is null)
        {
            if (required) v.Add(field, "is required.");
            return;
        }
        Text(v, field + ".family", n.Family, Limits.Name, required);
        var given = n.Given ?? [];
        if (required && !given.Any(g => !string.IsNullOrWhiteSpace(g))) v.Add(field + ".given", "at least one given name is required.");
        if (given.Count > Limits.MaxGiven) v.Add(field + ".given", $"must have at most {Limits.MaxGiven} names.");
        for (var i = 0; i < given.Count; i++) Text(v, $"{field}.given[{i}]", given[i], Limits.Name);
        Text(v, field + ".prefix", n.Prefix, Limits.Short);
        Text(v, field + ".suffix", n.Suffix, Limits.Short);
        if (n.Use is { Length: > 0 } use && !NameUses.Contains(use)) v.Add(field + ".use", $"must be one of {string.Join(", ", NameUses)}.");
    }

    private static void Address(Validator v, string field, PostalAddress? a)
    {
        if (a is null)
        {
            v.Add(field, "must not be empty.");
            return;
        }
        var lines = a.Lines ?? [];
        if (lines.Count > 3) v.Add(field + ".lines", "must have at most 3 lines.");
        for (var i = 0; i < lines.Count; i++) Text(v, $"{field}.lines[{i}]", lines[i], Limits.Line);
        Text(v, field + ".city", a.City, Limits.Name, required: true);
        Text(v, field + ".state", a.State, Limits.Short);
        Text(v, field + ".postalCode", a.PostalCode, 20);
        Text(v, field + ".country", a.Country, Limits.Short);
        if (a.Country is null or "US" or "USA")
        {
            if (a.State is { Length: > 0 } st && !UsState().IsMatch(st)) v.Add(field + ".state", "must be a two-letter US state or territory code.");
            if (a.PostalCode is { Length: > 0 } zip && !UsZip().IsMatch(zip)) v.Add(field + ".postalCode", "must be a US ZIP code (12345 or 12345-6789).");
        }
        if (a.Use is { Length: > 0 } use && !AddressUses.Contains(use)) v.Add(field + ".use", $"must be one of {string.Join(", ", AddressUses)}.");
        if (a.PeriodStart is { } s && a.PeriodEnd is { } e && e < s) v.Add(field + ".periodEnd", "must not be before the period start.");
    }

    private static void Telecom(Validator v, string field, ContactPoint? t)
    {
        if (t is null)
        {
            v.Add(field, "must not be empty.");
            return;
        }
        if (string.IsNullOrWhiteSpace(t.System) || !TelecomSystems.Contains(t.System))
            v.Add(field + ".system", $"must be one of {string.Join(", ", TelecomSystems)}.");
        if (string.IsNullOrWhiteSpace(t.Value)) v.Add(field + ".value", "is required.");
        else if (t.System is "phone" or "sms" or "fax" or "pager") Phone(v, field + ".value", t.Value);
        else if (t.System == "email") Email(v, field + ".value", t.Value);
        else Text(v, field + ".value", t.Value, Limits.Telecom);
        if (t.Use is { Length: > 0 } use && !TelecomUses.Contains(use)) v.Add(field + ".use", $"must be one of {string.Join(", ", TelecomUses)}.");
        if (t.Rank is < 1) v.Add(field + ".rank", "must be a positive integer.");
    }

    private static void Phone(Validator v, string field, string value)
    {
        var digits = SearchKeys.PhoneDigits(value);
        if (value.Length > 32 || !PhoneText().IsMatch(value) || digits.Length is < 7 or > 15)
            v.Add(field, "must be a phone number such as (555) 123-4567 or +1 555 123 4567.");
    }

    private static void Email(Validator v, string field, string value)
    {
        if (value.Length > Limits.Telecom || !EmailText().IsMatch(value)) v.Add(field, "must be an email address such as name@example.org.");
    }

    private static void Code(Validator v, string field, Coding? c)
    {
        if (c is null) return;
        Text(v, field + ".system", c.System, Limits.Text, required: true);
        Text(v, field + ".code", c.Code, Limits.Identifier, required: true);
        Text(v, field + ".display", c.Display, Limits.Text);
    }

    private static void Codes(Validator v, string field, IReadOnlyList<Coding>? codes, string[] systems)
    {
        if (codes is null) return;
        if (codes.Count > Limits.MaxCodings) v.Add(field, $"must have at most {Limits.MaxCodings} codes.");
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i] is null) { v.Add($"{field}[{i}]", "must not be empty."); continue; }
            Code(v, $"{field}[{i}]", codes[i]);
            if (codes[i].System is { Length: > 0 } s && !systems.Contains(s)) v.Add($"{field}[{i}].system", $"must be one of {string.Join(", ", systems)}.");
        }
    }

    private static void Text(Validator v, string field, string? value, int max, bool required = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required) v.Add(field, "is required.");
            return;
        }
        if (value.Length > max) v.Add(field, $"must be at most {max} characters.");
        if (value.Any(char.IsControl)) v.Add(field, "must not contain control characters.");
    }

    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LanguageTag();
    [GeneratedRegex(@"^[A-Za-z]{2}$")]
    private static partial Regex UsState();
    [GeneratedRegex(@"^\d{5}(-\d{4})?$")]
    private static partial Regex UsZip();
    [GeneratedRegex(@"^\+?[0-9 ().\-]+$")]
    private static partial Regex PhoneText();
    // Deliberately simple (RFC 5322 is far looser): one @, no spaces, a dot in the domain.
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailText();
}
