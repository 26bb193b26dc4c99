using Meridian.SharedKernel;

namespace Meridian.X12.Eligibility;

/// <summary>The overall answer about the patient's coverage.</summary>
public enum CoverageStatus
{
    /// <summary>EB01 1–5: active coverage (including capitated and pending-investigation variants).</summary>
    Active,

    /// <summary>EB01 6–8: inactive.</summary>
    Inactive,

    /// <summary>No coverage answer: the payer or clearinghouse rejected the request with AAA segments.</summary>
    Rejected,

    /// <summary>The 271 carries neither a coverage status nor a rejection.</summary>
    Unknown,
}

/// <summary>EB12 in-plan-network indicator.</summary>
public enum NetworkIndicator
{
    /// <summary>Y.</summary>
    InNetwork,

    /// <summary>N.</summary>
    OutOfNetwork,

    /// <summary>W: not applicable, the benefit is the same in and out of network.</summary>
    Both,

    /// <summary>U.</summary>
    Unknown,
}

/// <summary>An NM1 name: payer, provider, subscriber, dependent or a benefit-related entity.</summary>
/// <param name="Loop">The 271 loop it was read from: 2100A, 2100B, 2100C, 2100D, 2120C, 2120D.</param>
/// <param name="EntityCode">NM101 entity identifier code (PR payer, 1P provider, IL subscriber, 03 dependent, P3 primary care provider…).</param>
/// <param name="Name">NM103: last name or organization name.</param>
/// <param name="IdQualifier">NM108 (PI payer id, XX NPI, MI member id, SV service provider number…).</param>
/// <param name="Id">NM109.</param>
public sealed record EligibilityEntity(
    string Loop,
    string EntityCode,
    bool IsPerson,
    string? Name,
    string? FirstName,
    string? MiddleName,
    string? Suffix,
    string? IdQualifier,
    string? Id)
{
    /// <summary>"FIRST MIDDLE LAST SUFFIX" for people, the organization name otherwise.</summary>
    public string DisplayName => string.Join(' ', new[] { FirstName, MiddleName, Name, Suffix }.Where(p => !string.IsNullOrEmpty(p)));
}

/// <summary>N3/N4 address.</summary>
public sealed record EligibilityAddress(string? Line1, string? Line2, string? City, string? State, string? PostalCode);

/// <summary>PER contact: a name and its communication numbers (PER03/04, 05/06, 07/08).</summary>
public sealed record EligibilityContact(string? Name, IReadOnlyList<EligibilityCommunication> Numbers);

/// <param name="Qualifier">TE telephone, FX fax, EM e-mail, UR URL, EX extension, ED EDI access number, WP work phone.</param>
public sealed record EligibilityCommunication(string Qualifier, string Number);

/// <summary>An AAA request validation segment: why the payer (or a clearinghouse on its behalf) could not answer.</summary>
/// <param name="Loop">Where it was found: 2000A, 2100A (payer), 2100B (receiver), 2100C/2100D (subscriber/dependent), 2110C/2110D (one benefit inquiry).</param>
/// <param name="ValidRequest">AAA01: Y the request was valid but could not be answered as asked, N the request was invalid.</param>
/// <param name="Reason">AAA03 reject reason code, e.g. 72 Invalid/Missing Subscriber/Insured ID.</param>
/// <param name="FollowUpAction">AAA04, e.g. C Please Correct and Resubmit, R Resubmission Allowed.</param>
public sealed record EligibilityRejection(string Loop, bool ValidRequest, Coding Reason, Coding? FollowUpAction, int SegmentPosition)
{
    /// <summary>"Subscriber/Insured Not Found (75); Please Correct and Resubmit".</summary>
    public string Message =>
        $"{Reason.Display ?? "Reject reason"} ({Reason.Code})" + (FollowUpAction is null ? "" : $"; {FollowUpAction.Display ?? FollowUpAction.Code}");
}

/// <summary>A DTP date or date range with its qualifier (346 plan begin, 347 plan end, 356/357 eligibility begin/end, 291 plan…).</summary>
public sealed record EligibilityDate(Coding Qualifier, DateOnly Start, DateOnly? End);

/// <summary>A REF identifier (6P group number, 18 plan number, 1L group or policy number…) with its REF03 description.</summary>
public sealed record EligibilityReference(Coding Qualifier, string Value, string? Description);

/// <summary>TRN: type 2 echoes the trace the inquiry sent; type 1 is a trace the information source or a clearinghouse added.</summary>
public sealed record EligibilityTrace(string Type, string Number, string? AssigningEntityId, string? AdditionalId)
{
    public bool IsEchoOfInquiry => Type == "2";
}

/// <summary>HSD health care services delivery (how many visits, per what period…).</summary>
public sealed record EligibilityDelivery(
    string? QuantityQualifier, decimal? Quantity, string? UnitOrBasis, decimal? SampleSelectionModulus, Coding? TimePeriod, decimal? PeriodCount,
    string? FrequencyCode, string? PatternTimeCode);

/// <summary>2115 III additional information (place of service, nature of injury) with its free-form text.</summary>
public sealed record EligibilityAdditionalInformation(string? Qualifier, string? Code, string? Category, string? Text);

/// <summary>2120 benefit-related entity (primary care provider, other payer, plan sponsor…), between LS*2120 and LE*2120.</summary>
/// <param name="Relationship">NM110 entity relationship code.</param>
public sealed record EligibilityBenefitEntity(
    EligibilityEntity Entity, string? Relationship, EligibilityAddress? Address, IReadOnlyList<EligibilityContact> Contacts, string? ProviderTaxonomy);

/// <summary>One EB segment and its 2110 loop: a coverage status, a cost share or a description for some service types.</summary>
/// <param name="Information">EB01: 1 active coverage, 6 inactive, A co-insurance, B co-payment, C deductible, G out of pocket, D description…</param>
/// <param name="CoverageLevel">EB02: IND individual, FAM family, EMP employee only…</param>
/// <param name="ServiceTypes">EB03 repetitions; empty means the benefit is not limited to service types.</param>
/// <param name="InsuranceType">EB04: HM HMO, PR PPO, C1 commercial, MB Medicare Part B…</param>
/// <param name="PlanCoverageDescription">EB05, typically the plan name.</param>
/// <param name="TimePeriod">EB06: 23 calendar year, 29 remaining, 27 visit, 32 lifetime…</param>
/// <param name="Amount">EB07 monetary amount (copay, deductible, out of pocket).</param>
/// <param name="PercentageAsDecimal">EB08 as X12 sends it: 0.2 means 20 % (co-insurance).</param>
/// <param name="Quantity">EB10 with <paramref name="QuantityQualifier"/> EB09 (visits, days…).</param>
/// <param name="AuthorizationRequired">EB11: Y or N; null for U (unknown) or absent.</param>
/// <param name="Network">EB12.</param>
/// <param name="ProcedureQualifier">EB13-1 (HC CPT/HCPCS, AD ADA…), with <paramref name="ProcedureCode"/> EB13-2.</param>
/// <param name="Messages">MSG free-form text.</param>
public sealed record EligibilityBenefit(
    Coding Information,
    Coding? CoverageLevel,
    IReadOnlyList<Coding> ServiceTypes,
    Coding? InsuranceType,
    string? PlanCoverageDescription,
    Coding? TimePeriod,
    decimal? Amount,
    decimal? PercentageAsDecimal,
    Coding? QuantityQualifier,
    decimal? Quantity,
    bool? AuthorizationRequired,
    NetworkIndicator? Network,
    string? ProcedureQualifier,
    string? ProcedureCode,
    IReadOnlyList<EligibilityDelivery> Deliveries,
    IReadOnlyList<EligibilityReference> References,
    IReadOnlyList<EligibilityDate> Dates,
    IReadOnlyList<EligibilityRejection> Rejections,
    IReadOnlyList<string> Messages,
    IReadOnlyList<EligibilityAdditionalInformation> AdditionalInformation,
    IReadOnlyList<EligibilityBenefitEntity> RelatedEntities,
    int SegmentPosition)
{
    /// <summary>EB01 1–5.</summary>
    public bool IsActiveCoverage => Information.Code is "1" or "2" or "3" or "4" or "5";

    /// <summary>EB01 6–8.</summary>
    public bool IsInactiveCoverage => Information.Code is "6" or "7" or "8";

    public bool CoversServiceType(string code) => ServiceTypes.Any(s => s.Code == code);
}

/// <summary>The subscriber (2100C) or dependent (2100D) as the payer answered, with their 2110 benefits.</summary>
/// <param name="MemberId">NM109 (2100C; the subscriber's member id).</param>
/// <param name="Relationship">INS02 individual relationship code (18 self; for dependents 01 spouse, 19 child…).</param>
public sealed record EligibilityMember(
    EligibilityEntity Name,
    string? MemberId,
    EligibilityAddress? Address,
    DateOnly? BirthDate,
    X12Gender? Gender,
    string? Relationship,
    IReadOnlyList<EligibilityTrace> Traces,
    IReadOnlyList<EligibilityReference> References,
    IReadOnlyList<EligibilityDate> Dates,
    IReadOnlyList<EligibilityRejection> Rejections,
    IReadOnlyList<EligibilityBenefit> Benefits);

/// <summary>
/// What applies to one service type, picked from the benefits the way a front desk reads them: a value given for that
/// service type wins over the plan-level (service type 30 or none) value; in-network over unspecified over out-of-network;
/// individual over unspecified over family.
/// </summary>
public sealed record EligibilityCostShare(
    string ServiceTypeCode,
    EligibilityBenefit? Copay,
    EligibilityBenefit? Coinsurance,
    EligibilityBenefit? Deductible,
    EligibilityBenefit? DeductibleRemaining,
    EligibilityBenefit? OutOfPocket,
    EligibilityBenefit? OutOfPocketRemaining)
{
    public decimal? CopayAmount => Copay?.Amount;

    /// <summary>0.2 means 20 %.</summary>
    public decimal? CoinsurancePercentageAsDecimal => Coinsurance?.PercentageAsDecimal;

    public decimal? DeductibleAmount => Deductible?.Amount;
    public decimal? DeductibleRemainingAmount => DeductibleRemaining?.Amount;
    public decimal? OutOfPocketAmount => OutOfPocket?.Amount;
    public decimal? OutOfPocketRemainingAmount => OutOfPocketRemaining?.Amount;
}

/// <summary>
/// A 271's answer for one patient: the payer and provider levels above, the subscriber, the dependent when the patient is
/// one, every AAA rejection on the way down, and the patient's benefits with the summary a check-in screen needs.
/// </summary>
public sealed class EligibilityResponse
{
    internal EligibilityResponse(
        string interchangeControlNumber, string transactionControlNumber, string? submitterReference, DateOnly? createdDate, bool isTest,
        EligibilityEntity? payer, IReadOnlyList<EligibilityContact> payerContacts, EligibilityEntity? receiver,
        EligibilityMember? subscriber, EligibilityMember? dependent, IReadOnlyList<EligibilityRejection> rejections)
    {
        InterchangeControlNumber = interchangeControlNumber;
        TransactionControlNumber = transactionControlNumber;
        SubmitterReference = submitterReference;
        CreatedDate = createdDate;
        IsTest = isTest;
        Payer = payer;
        PayerContacts = payerContacts;
        Receiver = receiver;
        Subscriber = subscriber;
        Dependent = dependent;
        Rejections = rejections;
        (Status, StatusDetail, var decisive) = DecideStatus(Benefits, rejections);
        PlanName = decisive?.PlanCoverageDescription ?? Benefits.Select(b => b.PlanCoverageDescription).FirstOrDefault(p => p is not null);
        InsuranceType = decisive?.InsuranceType ?? Benefits.Select(b => b.InsuranceType).FirstOrDefault(t => t is not null);

        var references = (Patient?.References ?? []).Concat(dependent is null ? [] : subscriber?.References ?? []).Concat(decisive?.References ?? []).ToList();
        GroupNumber = references.FirstOrDefault(r => r.Qualifier.Code == "6P")?.Value ?? references.FirstOrDefault(r => r.Qualifier.Code == "1L")?.Value;
        GroupName = references.FirstOrDefault(r => r.Qualifier.Code == "6P")?.Description;
        PlanNumber = references.FirstOrDefault(r => r.Qualifier.Code == "18")?.Value;

        // The patient's own dates first, then (for a dependent) the subscriber's, then the status benefit's.
        var dates = (Patient?.Dates ?? []).Concat(dependent is null ? [] : subscriber?.Dates ?? []).Concat(decisive?.Dates ?? []).ToList();
        var plan = dates.FirstOrDefault(d => d.Qualifier.Code == "291");
        var eligibility = dates.FirstOrDefault(d => d.Qualifier.Code == "307");
        PlanBegin = dates.FirstOrDefault(d => d.Qualifier.Code == "346")?.Start ?? plan?.Start;
        PlanEnd = dates.FirstOrDefault(d => d.Qualifier.Code == "347")?.Start ?? plan?.End;
        EligibilityBegin = dates.FirstOrDefault(d => d.Qualifier.Code == "356")?.Start ?? eligibility?.Start;
        EligibilityEnd = dates.FirstOrDefault(d => d.Qualifier.Code == "357")?.Start ?? eligibility?.End;
    }

    /// <summary>ISA13 of the 271.</summary>
    public string InterchangeControlNumber { get; }

    /// <summary>ST02 of the 271.</summary>
    public string TransactionControlNumber { get; }

    /// <summary>BHT03: the 270's BHT03 echoed.</summary>
    public string? SubmitterReference { get; }

    /// <summary>BHT04.</summary>
    public DateOnly? CreatedDate { get; }

    /// <summary>ISA15 = T.</summary>
    public bool IsTest { get; }

    /// <summary>2100A information source.</summary>
    public EligibilityEntity? Payer { get; }

    public IReadOnlyList<EligibilityContact> PayerContacts { get; }

    /// <summary>2100B information receiver.</summary>
    public EligibilityEntity? Receiver { get; }

    public EligibilityMember? Subscriber { get; }
    public EligibilityMember? Dependent { get; }

    /// <summary>Whose eligibility this is: the dependent when there is one, else the subscriber.</summary>
    public EligibilityMember? Patient => Dependent ?? Subscriber;

    /// <summary>The TRN segments of the subscriber and dependent levels.</summary>
    public IReadOnlyList<EligibilityTrace> Traces =>
        [.. Subscriber?.Traces ?? [], .. Dependent?.Traces ?? []];

    /// <summary>Every AAA segment from 2000A down to the patient's benefits, outermost first.</summary>
    public IReadOnlyList<EligibilityRejection> Rejections { get; }

    public bool IsRejected => Status == CoverageStatus.Rejected;

    /// <summary>The patient's 2110 benefits.</summary>
    public IReadOnlyList<EligibilityBenefit> Benefits => Patient?.Benefits ?? [];

    public CoverageStatus Status { get; }

    /// <summary>The EB01 that decided <see cref="Status"/> (e.g. 5 Active - Pending Investigation), or the first AAA03 when rejected.</summary>
    public Coding? StatusDetail { get; }

    /// <summary>EB05 of the coverage status benefit (the plan name), or the first EB05 given.</summary>
    public string? PlanName { get; }

    /// <summary>EB04 of the coverage status benefit, or the first EB04 given.</summary>
    public Coding? InsuranceType { get; }

    /// <summary>REF*6P (or REF*1L group or policy number) of the patient, the subscriber or the coverage benefit.</summary>
    public string? GroupNumber { get; }

    /// <summary>REF03 of REF*6P: the group name, when sent.</summary>
    public string? GroupName { get; }

    /// <summary>REF*18 plan number.</summary>
    public string? PlanNumber { get; }

    /// <summary>DTP*346, or the start of DTP*291 (RD8).</summary>
    public DateOnly? PlanBegin { get; }

    /// <summary>DTP*347, or the end of DTP*291 (RD8).</summary>
    public DateOnly? PlanEnd { get; }

    /// <summary>DTP*356, or the start of DTP*307.</summary>
    public DateOnly? EligibilityBegin { get; }

    /// <summary>DTP*357, or the end of DTP*307.</summary>
    public DateOnly? EligibilityEnd { get; }

    /// <summary>Co-pay, co-insurance, deductible and out-of-pocket for a service type ("30" plan level, "98" office visit…).</summary>
    public EligibilityCostShare CostShareFor(string serviceTypeCode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceTypeCode);
        return new EligibilityCostShare(serviceTypeCode,
            Pick("B", serviceTypeCode, _ => true),
            Pick("A", serviceTypeCode, _ => true),
            Pick("C", serviceTypeCode, b => !IsRemaining(b)),
            Pick("C", serviceTypeCode, IsRemaining),
            Pick("G", serviceTypeCode, b => !IsRemaining(b)),
            Pick("G", serviceTypeCode, IsRemaining));
    }

    /// <summary>EB06 29 remaining, 33 lifetime remaining.</summary>
    private static bool IsRemaining(EligibilityBenefit b) => b.TimePeriod?.Code is "29" or "33";

    private EligibilityBenefit? Pick(string information, string serviceType, Func<EligibilityBenefit, bool> filter)
    {
        var candidates = Benefits.Where(b => b.Information.Code == information && filter(b)).ToList();
        var specific = candidates.Where(b => b.CoversServiceType(serviceType)).ToList();
        var pool = specific.Count > 0
            ? specific
            : candidates.Where(b => b.ServiceTypes.Count == 0 || b.CoversServiceType(EligibilityCodes.HealthBenefitPlanCoverage)).ToList();
        return pool
            .OrderBy(b => b.Network switch
            {
                NetworkIndicator.InNetwork => 0,
                NetworkIndicator.Both => 1,
                null => 2,
                NetworkIndicator.Unknown => 3,
                _ => 4,
            })
            .ThenBy(b => b.CoverageLevel?.Code switch
            {
                "IND" => 0,
                null => 1,
                "EMP" => 2,
                "FAM" => 4,
                _ => 3,
            })
            .ThenBy(b => b.SegmentPosition)
            .FirstOrDefault();
    }

    private static (CoverageStatus, Coding?, EligibilityBenefit?) DecideStatus(IReadOnlyList<EligibilityBenefit> benefits, IReadOnlyList<EligibilityRejection> rejections)
    {
        // The plan-level statuses (no service type, or 30 health benefit plan coverage) speak for the coverage; a status
        // given only for some service types decides when there is no plan-level one.
        var statuses = benefits.Where(b => b.IsActiveCoverage || b.IsInactiveCoverage).ToList();
        var planLevel = statuses.Where(b => b.ServiceTypes.Count == 0 || b.CoversServiceType(EligibilityCodes.HealthBenefitPlanCoverage)).ToList();
        foreach (var pool in new[] { planLevel, statuses })
        {
            if (pool.FirstOrDefault(b => b.IsActiveCoverage) is { } active) return (CoverageStatus.Active, active.Information, active);
            if (pool.FirstOrDefault(b => b.IsInactiveCoverage) is { } inactive) return (CoverageStatus.Inactive, inactive.Information, inactive);
        }
        if (rejections.Count > 0) return (CoverageStatus.Rejected, rejections[0].Reason, null);
        return (CoverageStatus.Unknown, null, null);
    }
}
