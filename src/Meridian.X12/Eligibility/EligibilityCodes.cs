using Meridian.SharedKernel;

namespace Meridian.X12.Eligibility;

/// <summary>
/// The X12 code lists of the eligibility transactions as <see cref="Coding"/>s with their names. Service type codes use the
/// code-system URI HL7 terminology registers for them; X12 publishes no URIs for its other element code lists, so those
/// use "urn:x12:element:&lt;data element number&gt;".
/// </summary>
public static class EligibilityCodes
{
    /// <summary>DE 1365 Service Type Code, as registered in HL7 terminology (THO).</summary>
    public const string ServiceTypeSystem = "https://x12.org/codes/service-type-codes";
    public const string EligibilityOrBenefitSystem = "urn:x12:element:1390";
    public const string CoverageLevelSystem = "urn:x12:element:1207";
    public const string InsuranceTypeSystem = "urn:x12:element:1336";
    public const string TimePeriodSystem = "urn:x12:element:615";
    public const string QuantityQualifierSystem = "urn:x12:element:673";
    public const string RejectReasonSystem = "urn:x12:element:901";
    public const string FollowUpActionSystem = "urn:x12:element:889";
    public const string DateQualifierSystem = "urn:x12:element:374";
    public const string ReferenceQualifierSystem = "urn:x12:element:128";

    /// <summary>"Health Benefit Plan Coverage": the general inquiry, and the EQ01 default.</summary>
    public const string HealthBenefitPlanCoverage = "30";

    /// <summary>"Professional (Physician) Visit - Office".</summary>
    public const string OfficeVisit = "98";

    /// <summary>Every service type code (EQ01/EB03) with its name.</summary>
    public static IReadOnlyDictionary<string, string> ServiceTypes => EligibilityCodeTables.ServiceTypes;

    public static bool IsServiceType(string code) => EligibilityCodeTables.ServiceTypes.ContainsKey(code);

    public static Coding ServiceType(string code) => Make(ServiceTypeSystem, code, EligibilityCodeTables.ServiceTypes);
    public static Coding EligibilityOrBenefit(string code) => Make(EligibilityOrBenefitSystem, code, EligibilityCodeTables.EligibilityOrBenefit);
    public static Coding CoverageLevel(string code) => Make(CoverageLevelSystem, code, EligibilityCodeTables.CoverageLevels);
    public static Coding InsuranceType(string code) => Make(InsuranceTypeSystem, code, EligibilityCodeTables.InsuranceTypes);
    public static Coding TimePeriod(string code) => Make(TimePeriodSystem, code, EligibilityCodeTables.TimePeriods);
    public static Coding QuantityQualifier(string code) => Make(QuantityQualifierSystem, code, EligibilityCodeTables.QuantityQualifiers);
    public static Coding RejectReason(string code) => Make(RejectReasonSystem, code, EligibilityCodeTables.RejectReasons);
    public static Coding FollowUpAction(string code) => Make(FollowUpActionSystem, code, EligibilityCodeTables.FollowUpActions);
    public static Coding DateQualifier(string code) => Make(DateQualifierSystem, code, EligibilityCodeTables.DateQualifiers);
    public static Coding ReferenceQualifier(string code) => Make(ReferenceQualifierSystem, code, EligibilityCodeTables.ReferenceQualifiers);

    /// <summary>A code outside the list keeps its value with no display: a payer may be ahead of this table.</summary>
    private static Coding Make(string system, string code, IReadOnlyDictionary<string, string> names) =>
        new(system, code, names.TryGetValue(code, out var name) ? name : null);
}
