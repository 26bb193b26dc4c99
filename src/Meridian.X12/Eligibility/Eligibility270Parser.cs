namespace Meridian.X12.Eligibility;

/// <summary>A 270 as received: the inquiry for one patient and where it came from.</summary>
/// <param name="Trace">The TRN of the patient's level (echoed back with TRN01 = 2); null when the 270 sent none.</param>
/// <param name="ServiceDateSent">False when the 270 had no DTP*291 and <see cref="EligibilityInquiry.ServiceDate"/> is the processing date.</param>
public sealed record ReceivedEligibilityInquiry(
    EligibilityInquiry Inquiry,
    X12Interchange Interchange,
    X12TransactionSet Transaction,
    string? SubmitterReference,
    EligibilityTrace? Trace,
    bool ServiceDateSent);

/// <summary>
/// Reads 270 inquiries (005010X279A1), the way an information source does: the envelope and the HL structure must be
/// right (else <see cref="X12FormatException"/>), but missing search data such as a member id is left for the answering
/// side to reject with AAA segments, as a payer would.
/// </summary>
public static class Eligibility270Parser
{
    /// <param name="processingDate">The date used when the inquiry sends no DTP*291: the guide has the information
    /// source answer for its processing date then.</param>
    public static IReadOnlyList<ReceivedEligibilityInquiry> Parse(string x12, DateOnly processingDate) =>
        X12Reader.ReadAll(x12).SelectMany(i => Parse(i, processingDate)).ToList();

    /// <summary>Reads the inquiries of an interchange already read (and envelope-checked) by <see cref="X12Reader"/>.</summary>
    public static IReadOnlyList<ReceivedEligibilityInquiry> Parse(X12Interchange interchange, DateOnly processingDate)
    {
        ArgumentNullException.ThrowIfNull(interchange);
        if (!interchange.TransactionSets.Any())
            throw new X12FormatException($"interchange {interchange.ControlNumber} holds no transaction set (expected a 270)", interchange.Trailer);
        return interchange.TransactionSets.SelectMany(set => ReadTransaction(interchange, set, processingDate)).ToList();
    }

    private static IEnumerable<ReceivedEligibilityInquiry> ReadTransaction(X12Interchange interchange, X12TransactionSet set, DateOnly processingDate)
    {
        if (set.Id != "270")
            throw new X12FormatException($"expected a 270 eligibility inquiry but transaction set {set.ControlNumber} is a {set.Id}", set.Header);
        var (bht, levels) = Hierarchy.ReadEligibility(set, "HS");
        // BHT02 13 request, 01 cancellation.
        if (bht[1] != "0022" || bht[2] is not ("13" or "01"))
            throw new X12FormatException($"BHT01/BHT02 must be 0022 and 13 (request) or 01 (cancellation), found \"{bht[1]}\"/\"{bht[2]}\"", bht);

        var read = levels.ToDictionary(l => l, Read);
        foreach (var leaf in levels.Where(l => l.Children.Count == 0))
        {
            if (leaf.Code is "20" or "21")
                throw new X12FormatException($"HL {leaf.Hl[1]} (level {leaf.Code}) has no subscriber level below it: a 270 asks about a subscriber or dependent", leaf.Hl);
            var patient = read[leaf];
            var subscriber = leaf.Code == "23" ? read[leaf.Parent!] : patient;
            var receiver = read[(leaf.Code == "23" ? leaf.Parent!.Parent : leaf.Parent)!];
            var source = read[receiver.Hl.Parent!];

            var serviceDate = patient.ServiceDate ?? (leaf.Code == "23" ? subscriber.ServiceDate : null);
            var inquiry = new EligibilityInquiry(
                patient.Trace?.Number ?? bht[3],
                new EdiParty(interchange.SenderQualifier, interchange.SenderId, NullIfSame(set.Group!.ApplicationSender, interchange.SenderId)),
                new EdiParty(interchange.ReceiverQualifier, interchange.ReceiverId, NullIfSame(set.Group.ApplicationReceiver, interchange.ReceiverId)),
                source.Name[3], source.Name[9],
                receiver.Name[3], receiver.Name[8] == "XX" ? receiver.Name[9] : "",
                new EligibilitySubscriber(subscriber.Name[9], subscriber.Name.Optional(4), subscriber.Name.Optional(3), subscriber.BirthDate, subscriber.Gender,
                    subscriber.GroupNumber, subscriber.Name.Optional(5), subscriber.Name.Optional(7)),
                leaf.Code == "23"
                    ? new EligibilityDependent(patient.Name[4], patient.Name[3], patient.BirthDate ?? default, patient.Gender, patient.Name.Optional(5), patient.Name.Optional(7))
                    : null,
                serviceDate ?? processingDate,
                patient.ServiceTypes,
                receiver.Name[2] == "1" ? receiver.Name.Optional(4) : null,
                patient.Trace?.AssigningEntityId);
            yield return new ReceivedEligibilityInquiry(inquiry, interchange, set, bht.Optional(3), patient.Trace, serviceDate is not null);
        }
    }

    private static string? NullIfSame(string value, string other) => value == other ? null : value;

    private sealed record LevelData(HlLevel Hl, X12Segment Name, EligibilityTrace? Trace, string? GroupNumber, DateOnly? BirthDate, X12Gender? Gender,
        DateOnly? ServiceDate, IReadOnlyList<string> ServiceTypes);

    private static LevelData Read(HlLevel level)
    {
        X12Segment? name = null;
        EligibilityTrace? trace = null;
        string? group = null;
        DateOnly? birth = null, serviceDate = null;
        X12Gender? gender = null;
        var serviceTypes = new List<string>();
        var inEq = false;
        var person = level.Code is "22" or "23";
        var loop = level.Code switch { "20" => "A", "21" => "B", "22" => "C", _ => "D" };
        foreach (var s in level.Segments)
        {
            if (inEq && s.Id is "AMT" or "III" or "REF" or "DTP")
            {
                // 270 2110C/D DTP*291 may carry the date for this inquiry instead of 2100C/D.
                if (s.Id == "DTP" && s[1] == "291") serviceDate ??= Elements.DatePeriod(s).Start;
                continue;
            }
            switch (s.Id)
            {
                case "TRN" when person && name is null:
                    if (s[1] != "1") throw new X12FormatException($"TRN01 must be 1 (current transaction trace number) in a 270, found \"{s[1]}\"", s);
                    trace = new EligibilityTrace("1", s[2], s.Optional(3), s.Optional(4));
                    break;
                case "NM1" when name is null:
                    var expected = level.Code switch { "22" => "IL", "23" => "03", _ => null };
                    if (expected is not null && s[1] != expected)
                        throw new X12FormatException($"NM101 must be {expected} in loop 2100{loop}, found \"{s[1]}\"", s);
                    name = s;
                    break;
                case "REF" when name is not null && !inEq:
                    if (s[1] == "6P") group = s.Optional(2);
                    break;
                case "N3" or "N4" or "PRV" or "HI" or "INS" when name is not null && !inEq && level.Code != "20":
                    break;
                case "DMG" when person && name is not null && !inEq:
                    birth = Elements.BirthDate(s);
                    gender = Elements.Gender(s);
                    break;
                case "DTP" when person && name is not null && !inEq:
                    if (s[1] == "291") serviceDate = Elements.DatePeriod(s).Start;
                    break;
                case "EQ" when person && name is not null:
                    inEq = true;
                    serviceTypes.AddRange(s.Repetitions(1).Where(r => r.Length > 0));
                    break;
                default:
                    throw new X12FormatException($"{s.Id} is not allowed here: the 270 (005010X279A1) does not carry it in loop {(name is null ? "2000" : inEq ? "2110" : "2100")}{loop}", s);
            }
        }
        if (name is null) throw new X12FormatException($"HL {level.Hl[1]} (level {level.Code}) has no NM1 name (loop 2100{loop}), which is required", level.Hl);
        return new LevelData(level, name, trace, group, birth, gender, serviceDate, serviceTypes);
    }
}
