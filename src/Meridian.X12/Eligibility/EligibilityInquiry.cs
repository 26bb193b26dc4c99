namespace Meridian.X12.Eligibility;

/// <summary>DMG03 gender: the 270 allows F and M; a 271 may also answer U.</summary>
public enum X12Gender
{
    Female,
    Male,
    Unknown,
}

/// <summary>
/// What a 270 asks: one patient's eligibility with one payer, for a service date and service types.
/// </summary>
/// <param name="TraceNumber">TRN02, echoed by the payer in the 271 (TRN01 = 2) so the answer can be matched; also BHT03.</param>
/// <param name="Submitter">ISA06/GS02: who sends the interchange (the practice or its clearinghouse account).</param>
/// <param name="Receiver">ISA08/GS03: who receives it (the clearinghouse or payer).</param>
/// <param name="PayerName">2100A NM103.</param>
/// <param name="PayerId">2100A NM109 payer identification (NM108 = PI).</param>
/// <param name="ProviderName">2100B NM103: organization name, or the provider's last name with <paramref name="ProviderFirstName"/>.</param>
/// <param name="ProviderNpi">2100B NM109 with NM108 = XX.</param>
/// <param name="Dependent">The patient when the patient is not the subscriber and has no member id of their own.</param>
/// <param name="ServiceDate">DTP*291 (plan date) of the patient: the date the eligibility is asked for.</param>
/// <param name="ServiceTypeCodes">EQ01 service types; none means "30" (Health Benefit Plan Coverage).</param>
/// <param name="ProviderFirstName">2100B NM104, when the provider is a person (NM102 = 1).</param>
/// <param name="TraceAssigningEntityId">TRN03 (10 characters); by default "9" and the submitter id, padded to 10.</param>
public sealed record EligibilityInquiry(
    string TraceNumber,
    EdiParty Submitter,
    EdiParty Receiver,
    string PayerName,
    string PayerId,
    string ProviderName,
    string ProviderNpi,
    EligibilitySubscriber Subscriber,
    EligibilityDependent? Dependent,
    DateOnly ServiceDate,
    IReadOnlyList<string>? ServiceTypeCodes = null,
    string? ProviderFirstName = null,
    string? TraceAssigningEntityId = null)
{
    public IReadOnlyList<string> EffectiveServiceTypeCodes =>
        ServiceTypeCodes is { Count: > 0 } ? ServiceTypeCodes : [EligibilityCodes.HealthBenefitPlanCoverage];
}

/// <summary>The subscriber (2100C). When the subscriber is the patient, the 270 primary search option needs all of
/// member id, first name, last name and birth date (005010X279A1 section 1.4.8.1).</summary>
/// <param name="MemberId">NM109 with NM108 = MI.</param>
/// <param name="GroupNumber">REF*6P, when the card shows one.</param>
public sealed record EligibilitySubscriber(
    string MemberId,
    string? FirstName,
    string? LastName,
    DateOnly? BirthDate,
    X12Gender? Gender = null,
    string? GroupNumber = null,
    string? MiddleName = null,
    string? Suffix = null);

/// <summary>
/// The patient as a dependent (2100D). 005010X279A1 defines the dependent as a person who cannot be uniquely identified
/// to the information source on their own, only with their subscriber: a patient with a member id of their own is sent as
/// the subscriber instead.
/// </summary>
public sealed record EligibilityDependent(
    string FirstName,
    string LastName,
    DateOnly BirthDate,
    X12Gender? Gender = null,
    string? MiddleName = null,
    string? Suffix = null);
