using Meridian.Patients.Contracts;

namespace Meridian.Scheduling.Domain;

/// <summary>Where to reach a patient on a channel, from the registration's telecom list (FHIR ContactPoint).</summary>
internal static class PatientContact
{
    /// <summary>
    /// SMS: a number with system "sms", else a "phone" with use "mobile"; the lowest rank first (FHIR ContactPoint.rank: 1 =
    /// preferred). Email: system "email". Null when the patient has none or said no to the channel (consent is checked again
    /// by the messaging module before sending).
    /// </summary>
    public static string? Address(PatientSnapshot patient, string channel)
    {
        var telecom = patient.Details.Telecom ?? [];
        var prefs = patient.Details.ContactPreferences;
        IEnumerable<ContactPoint> candidates = channel switch
        {
            "sms" when prefs?.AllowSms != false => telecom.Where(t => t.System == "sms" || (t.System == "phone" && t.Use == "mobile")),
            "email" when prefs?.AllowEmail != false => telecom.Where(t => t.System == "email"),
            _ => [],
        };
        return candidates.Where(t => t.Use != "old" && !string.IsNullOrWhiteSpace(t.Value))
            .OrderBy(t => t.System == "sms" ? 0 : 1).ThenBy(t => t.Rank ?? int.MaxValue).Select(t => t.Value.Trim()).FirstOrDefault();
    }

    public static string FirstName(PatientSnapshot patient) =>
        (patient.Details.PreferredName ?? patient.Details.LegalName).Given.FirstOrDefault() ?? patient.Details.LegalName.Given.FirstOrDefault() ?? "";
}
