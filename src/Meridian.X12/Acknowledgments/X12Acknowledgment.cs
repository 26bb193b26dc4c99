using System.Collections.Frozen;
using System.Globalization;
using Meridian.SharedKernel;

namespace Meridian.X12.Acknowledgments;

public enum X12AcknowledgmentKind
{
    /// <summary>TA1: the receiver's answer about the interchange envelope itself.</summary>
    Interchange,

    /// <summary>999 (005010X231A1): the receiver's answer about the syntax and implementation-guide compliance of a group.</summary>
    Implementation,
}

/// <summary>
/// A TA1 or 999 acknowledgment as read. A clearinghouse answers a 270 with one of these instead of a 271 when it could not
/// process the request, so eligibility code reports it instead of a coverage answer; Billing reads them for its 837s.
/// </summary>
/// <param name="Status">TA104 (interchange) or AK901 (group) acknowledgment code with its meaning.</param>
/// <param name="AcknowledgedControlNumber">TA101 interchange control number, or AK102 group control number.</param>
/// <param name="AcknowledgedGroupCode">AK101 functional identifier code of the acknowledged group (HS for 270s).</param>
/// <param name="InterchangeNote">TA105 interchange note code.</param>
public sealed record X12Acknowledgment(
    X12AcknowledgmentKind Kind,
    Coding Status,
    string AcknowledgedControlNumber,
    string? AcknowledgedGroupCode,
    Coding? InterchangeNote,
    IReadOnlyList<X12TransactionAcknowledgment> Transactions)
{
    /// <summary>A (accepted) or E (accepted, errors noted): the acknowledged data goes on to processing.</summary>
    public bool Accepted => Status.Code is "A" or "E";

    /// <summary>One line for logs and screens, e.g. "999: Rejected (R) for group HS 1; 270 0001 Rejected: segment 7 NM1 …".</summary>
    public string Summary
    {
        get
        {
            if (Kind == X12AcknowledgmentKind.Interchange)
                return $"TA1: interchange {AcknowledgedControlNumber} {Status.Display} ({Status.Code})"
                       + (InterchangeNote is { Code: not "000" } n ? $": {n.Display ?? "note"} ({n.Code})" : "");
            var parts = Transactions.Select(t => t.Summary);
            return $"999: group {AcknowledgedGroupCode} {AcknowledgedControlNumber} {Status.Display} ({Status.Code})"
                   + (Transactions.Count > 0 ? "; " + string.Join("; ", parts) : "");
        }
    }

    /// <summary>The acknowledgments the interchange carries (TA1 segments and 999 transaction sets); empty when none.</summary>
    public static IReadOnlyList<X12Acknowledgment> Read(X12Interchange interchange)
    {
        ArgumentNullException.ThrowIfNull(interchange);
        var result = new List<X12Acknowledgment>();
        foreach (var ta1 in interchange.InterchangeAcknowledgments)
            result.Add(new X12Acknowledgment(X12AcknowledgmentKind.Interchange, Code(Ta1Codes, ta1[4], "I17"), ta1[1], null,
                ta1.Has(5) ? Code(Ta1Notes, ta1[5], "I18") : null, []));
        foreach (var set in interchange.TransactionSets.Where(t => t.Id == "999"))
            result.Add(Read999(set));
        return result;
    }

    private static X12Acknowledgment Read999(X12TransactionSet set)
    {
        X12Segment? ak1 = null, ak9 = null;
        var transactions = new List<X12TransactionAcknowledgment>();
        X12Segment? ak2 = null;
        List<X12SegmentError> segmentErrors = [];
        X12Segment? ik3 = null;
        List<X12ElementError> elementErrors = [];

        void CloseSegment()
        {
            if (ik3 is null) return;
            segmentErrors.Add(new X12SegmentError(ik3[1], Int(ik3, 2), ik3.Optional(3), ik3.Has(4) ? Code(SegmentErrors, ik3[4], "620") : null, elementErrors));
            ik3 = null;
            elementErrors = [];
        }

        foreach (var s in set.Body)
        {
            switch (s.Id)
            {
                case "AK1":
                    ak1 = s;
                    break;
                case "AK2":
                    if (ak2 is not null) throw new X12FormatException("AK2 transaction set response without the IK5 that closes the previous one", s);
                    ak2 = s;
                    break;
                case "IK3":
                    if (ak2 is null) throw new X12FormatException("IK3 outside an AK2 transaction set response", s);
                    CloseSegment();
                    ik3 = s;
                    break;
                case "IK4":
                    if (ik3 is null) throw new X12FormatException("IK4 outside an IK3 segment error", s);
                    elementErrors.Add(new X12ElementError(
                        s.Component(1, 1) is { Length: > 0 } p ? Int(p, s, "IK401") : null,
                        s.Component(1, 2) is { Length: > 0 } c ? Int(c, s, "IK401-2") : null,
                        s.Optional(2), Code(ElementErrors, s[3], "621"), s.Optional(4)));
                    break;
                case "CTX":
                    break; // context for a business-unit or segment error; the IK3/IK4 already locate it
                case "IK5":
                    if (ak2 is null) throw new X12FormatException("IK5 without an AK2 transaction set response", s);
                    CloseSegment();
                    var syntax = Enumerable.Range(2, 5).Where(s.Has).Select(i => Code(TransactionErrors, s[i], "618")).ToList();
                    transactions.Add(new X12TransactionAcknowledgment(ak2[1], ak2[2], ak2.Optional(3), Code(AcknowledgmentCodes, s[1], "717"), syntax, segmentErrors));
                    ak2 = null;
                    segmentErrors = [];
                    break;
                case "AK9":
                    ak9 = s;
                    break;
                default:
                    throw new X12FormatException($"{s.Id} is not a 999 segment", s);
            }
        }
        if (ak1 is null) throw new X12FormatException("the 999 has no AK1 functional group response header", set.Header);
        if (ak2 is not null) throw new X12FormatException("the 999 transaction set response has no IK5", ak2);
        if (ak9 is null) throw new X12FormatException("the 999 has no AK9 functional group response trailer", set.Trailer);
        return new X12Acknowledgment(X12AcknowledgmentKind.Implementation, Code(AcknowledgmentCodes, ak9[1], "715"), ak1[2], ak1[1], null, transactions);
    }

    private static int Int(X12Segment s, int element) => Int(s[element], s, $"{s.Id}{element:00}");

    private static int Int(string value, X12Segment s, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new X12FormatException($"{name} \"{value}\" is not a number", s);

    /// <summary>A code of an X12 data element (by its number), named as in <see cref="Eligibility.EligibilityCodes"/>.</summary>
    private static Coding Code(FrozenDictionary<string, string> names, string code, string dataElement) =>
        new($"urn:x12:element:{dataElement}", code, names.GetValueOrDefault(code));

    // TA104 Interchange Acknowledgment Code (DE I17).
    private static readonly FrozenDictionary<string, string> Ta1Codes = new Dictionary<string, string>
    {
        ["A"] = "The Transmitted Interchange Control Structure Header and Trailer Have Been Received and Have No Errors",
        ["E"] = "The Transmitted Interchange Control Structure Header and Trailer Have Been Received and Are Accepted But Errors Are Noted",
        ["R"] = "The Transmitted Interchange Control Structure Header and Trailer are Rejected Because of Errors",
    }.ToFrozenDictionary();

    // TA105 Interchange Note Code (DE I18).
    private static readonly FrozenDictionary<string, string> Ta1Notes = new Dictionary<string, string>
    {
        ["000"] = "No error", ["001"] = "The Interchange Control Number in the Header and Trailer Do Not Match",
        ["002"] = "This Standard as Noted in the Control Standards Identifier is Not Supported", ["003"] = "This Version of the Controls is Not Supported",
        ["004"] = "The Segment Terminator is Invalid", ["005"] = "Invalid Interchange ID Qualifier for Sender", ["006"] = "Invalid Interchange Sender ID",
        ["007"] = "Invalid Interchange ID Qualifier for Receiver", ["008"] = "Invalid Interchange Receiver ID", ["009"] = "Unknown Interchange Receiver ID",
        ["010"] = "Invalid Authorization Information Qualifier Value", ["011"] = "Invalid Authorization Information Value",
        ["012"] = "Invalid Security Information Qualifier Value", ["013"] = "Invalid Security Information Value", ["014"] = "Invalid Interchange Date Value",
        ["015"] = "Invalid Interchange Time Value", ["016"] = "Invalid Interchange Standards Identifier Value", ["017"] = "Invalid Interchange Version ID Value",
        ["018"] = "Invalid Interchange Control Number Value", ["019"] = "Invalid Acknowledgment Requested Value", ["020"] = "Invalid Test Indicator Value",
        ["021"] = "Invalid Number of Included Groups Value", ["022"] = "Invalid Control Structure", ["023"] = "Improper (Premature) End-of-File (Transmission)",
        ["024"] = "Invalid Interchange Content (e.g., Invalid GS Segment)", ["025"] = "Duplicate Interchange Control Number",
        ["026"] = "Invalid Data Element Separator", ["027"] = "Invalid Component Element Separator", ["028"] = "Invalid Delivery Date in Deferred Delivery Request",
        ["029"] = "Invalid Delivery Time in Deferred Delivery Request", ["030"] = "Invalid Delivery Time Code in Deferred Delivery Request",
        ["031"] = "Invalid Grade of Service Code",
    }.ToFrozenDictionary();

    // IK501 / AK901 (DE 717 Transaction Set Acknowledgment Code, DE 715 Functional Group Acknowledge Code).
    private static readonly FrozenDictionary<string, string> AcknowledgmentCodes = new Dictionary<string, string>
    {
        ["A"] = "Accepted", ["E"] = "Accepted But Errors Were Noted", ["M"] = "Rejected, Message Authentication Code (MAC) Failed",
        ["P"] = "Partially Accepted, At Least One Transaction Set Was Rejected", ["R"] = "Rejected",
        ["W"] = "Rejected, Assurance Failed Validity Tests", ["X"] = "Rejected, Content After Decryption Could Not Be Analyzed",
    }.ToFrozenDictionary();

    // IK502–IK506 Implementation Transaction Set Syntax Error Code (DE 618).
    private static readonly FrozenDictionary<string, string> TransactionErrors = new Dictionary<string, string>
    {
        ["1"] = "Transaction Set Not Supported", ["2"] = "Transaction Set Trailer Missing",
        ["3"] = "Transaction Set Control Number in Header and Trailer Do Not Match", ["4"] = "Number of Included Segments Does Not Match Actual Count",
        ["5"] = "One or More Segments in Error", ["6"] = "Missing or Invalid Transaction Set Identifier", ["7"] = "Missing or Invalid Transaction Set Control Number",
        ["8"] = "Authentication Key Name Unknown", ["9"] = "Encryption Key Name Unknown", ["10"] = "Requested Service (Authentication or Encrypted) Not Available",
        ["11"] = "Unknown Security Recipient", ["12"] = "Incorrect Message Length (Encryption Only)", ["13"] = "Message Authentication Code Failed",
        ["15"] = "Unknown Security Originator", ["16"] = "Syntax Error in Decrypted Text", ["17"] = "Security Not Supported",
        ["18"] = "Transaction Set not in Functional Group", ["19"] = "Invalid Transaction Set Implementation Convention Reference",
        ["23"] = "Transaction Set Control Number Not Unique within the Functional Group",
        ["24"] = "S3E Security End Segment Missing for S3S Security Start Segment", ["25"] = "S3S Security Start Segment Missing for S3E Security End Segment",
        ["26"] = "S4E Security End Segment Missing for S4S Security Start Segment", ["27"] = "S4S Security Start Segment Missing for S4E Security End Segment",
        ["I5"] = "Implementation One or More Segments in Error", ["I6"] = "Implementation Convention Not Supported",
    }.ToFrozenDictionary();

    // IK304 Implementation Segment Syntax Error Code (DE 620).
    private static readonly FrozenDictionary<string, string> SegmentErrors = new Dictionary<string, string>
    {
        ["1"] = "Unrecognized segment ID", ["2"] = "Unexpected segment", ["3"] = "Required Segment Missing", ["4"] = "Loop Occurs Over Maximum Times",
        ["5"] = "Segment Exceeds Maximum Use", ["6"] = "Segment Not in Defined Transaction Set", ["7"] = "Segment Not in Proper Sequence",
        ["8"] = "Segment Has Data Element Errors", ["I4"] = "Implementation \"Not Used\" Segment Present",
        ["I6"] = "Implementation Dependent Segment Missing", ["I7"] = "Implementation Loop Occurs Under Minimum Times",
        ["I8"] = "Implementation Segment Below Minimum Use", ["I9"] = "Implementation Dependent \"Not Used\" Segment Present",
    }.ToFrozenDictionary();

    // IK403 Implementation Data Element Syntax Error Code (DE 621).
    private static readonly FrozenDictionary<string, string> ElementErrors = new Dictionary<string, string>
    {
        ["1"] = "Required Data Element Missing", ["2"] = "Conditional Required Data Element Missing", ["3"] = "Too Many Data Elements",
        ["4"] = "Data Element Too Short", ["5"] = "Data Element Too Long", ["6"] = "Invalid Character In Data Element", ["7"] = "Invalid Code Value",
        ["8"] = "Invalid Date", ["9"] = "Invalid Time", ["10"] = "Exclusion Condition Violated", ["12"] = "Too Many Repetitions",
        ["13"] = "Too Many Components", ["I6"] = "Code Value Not Used in Implementation", ["I9"] = "Implementation Dependent Data Element Missing",
        ["I10"] = "Implementation \"Not Used\" Data Element Present", ["I11"] = "Implementation Too Few Repetitions",
        ["I12"] = "Implementation Pattern Match Failure", ["I13"] = "Implementation Dependent \"Not Used\" Data Element Present",
    }.ToFrozenDictionary();
}

/// <summary>One AK2…IK5 transaction set response of a 999.</summary>
/// <param name="SyntaxErrors">IK502–IK506.</param>
public sealed record X12TransactionAcknowledgment(
    string TransactionSetId,
    string ControlNumber,
    string? ImplementationReference,
    Coding Status,
    IReadOnlyList<Coding> SyntaxErrors,
    IReadOnlyList<X12SegmentError> SegmentErrors)
{
    public bool Accepted => Status.Code is "A" or "E";

    public string Summary =>
        $"{TransactionSetId} {ControlNumber} {Status.Display} ({Status.Code})"
        + string.Concat(SyntaxErrors.Select(e => $", {e.Display ?? e.Code}"))
        + string.Concat(SegmentErrors.Select(e => $", {e.Summary}"));
}

/// <summary>IK3: a segment in error, at IK302 (position within the transaction set, ST = 1).</summary>
public sealed record X12SegmentError(string SegmentId, int Position, string? Loop, Coding? Error, IReadOnlyList<X12ElementError> ElementErrors)
{
    public string Summary =>
        $"segment {Position} {SegmentId}" + (Loop is null ? "" : $" in loop {Loop}") + (Error is null ? "" : $": {Error.Display ?? Error.Code}")
        + string.Concat(ElementErrors.Select(e => $" ({e.Summary})"));
}

/// <summary>IK4: a data element in error.</summary>
public sealed record X12ElementError(int? Position, int? ComponentPosition, string? DataElementReference, Coding Error, string? BadValue)
{
    public string Summary =>
        $"element {Position}{(ComponentPosition is null ? "" : "-" + ComponentPosition)}: {Error.Display ?? Error.Code}" + (BadValue is null ? "" : $" \"{BadValue}\"");
}

/// <summary>The input is a TA1 or 999 acknowledgment where a business transaction (a 271) was expected.</summary>
public sealed class X12AcknowledgmentException(string expected, X12Acknowledgment acknowledgment)
    : X12FormatException($"expected {expected} but received an acknowledgment instead: {acknowledgment.Summary}")
{
    public X12Acknowledgment Acknowledgment { get; } = acknowledgment;
}
