using Meridian.X12;
using Meridian.X12.Acknowledgments;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

public sealed class Eligibility271ParserTests
{
    private static readonly string[] Header =
    [
        "BHT*0022*11*TRC-0001*20250314*0930",
        "HL*1**20*1",
        "NM1*PR*2*ACME HEALTH PLAN*****PI*87726",
        "PER*IC*PROVIDER SERVICES*TE*8005550100*UR*WWW.ACME.EXAMPLE",
        "HL*2*1*21*1",
        "NM1*1P*2*RIVERSIDE FAMILY PRACTICE*****XX*1234567893",
    ];

    private static readonly string[] Subscriber =
    [
        "HL*3*2*22*0",
        "TRN*2*TRC-0001*9MERIDIANC",
        "TRN*1*CH-998877*9PAYERCH00",
        "NM1*IL*1*MULLER*ANA****MI*W123456789",
        "REF*6P*GRP-100*RIVERSIDE EMPLOYEES",
        "REF*18*PLAN-7",
        "DMG*D8*19800615*F",
        "INS*Y*18",
        "DTP*291*RD8*20250101-20251231",
        "DTP*356*D8*20230101",
    ];

    private static readonly string[] Benefits =
    [
        "EB*1*IND*30*PR*ACME GOLD PPO",
        "EB*B*FAM*98*PR**27*40*****Y",
        "EB*B*IND*98*PR**27*25*****Y",
        "MSG*PRIMARY CARE",
        "EB*B*IND*98*PR**27*60*****N",
        "EB*A*IND*30*PR****.2****Y",
        "EB*C*IND*30*PR**23*1500*****N",
        "EB*C*IND*30*PR**23*750*****Y",
        "EB*C*IND*30*PR**29*300.5*****Y",
        "DTP*292*RD8*20250101-20251231",
        "EB*C*FAM*30*PR**23*1500*****Y",
        "EB*G*IND*30*PR**23*5000*****W",
        "EB*G*IND*30*PR**29*4200*****W",
        "EB*1**AL*PR",
        "AAA*Y**53*C",
        "EB*I**35",
        "EB*F**AD*PR*****VS*20",
        "HSD*VS*20***22*1",
    ];

    /// <summary>Wraps body segments (BHT onwards) in a correct envelope, counts included.</summary>
    internal static string Interchange(IEnumerable<string> body, string st01 = "271", string implementation = "005010X279A1", string gs01 = "HB")
    {
        var w = new X12Writer();
        w.BeginInterchange(new X12InterchangeHeader(new EdiParty("ZZ", "PAYERCH"), new EdiParty("ZZ", "MERIDIANCLINIC"), 17,
            new DateTimeOffset(2025, 3, 14, 9, 30, 0, TimeSpan.Zero)));
        w.BeginGroup(gs01, 17, implementation);
        w.BeginTransaction(st01, "0001", implementation);
        foreach (var line in body)
        {
            var parts = line.Split('*');
            w.Segment(parts[0], parts[1..]);
        }
        w.EndTransaction();
        w.EndGroup();
        w.EndInterchange();
        return w.ToString();
    }

    private static string Full() => Interchange([.. Header, .. Subscriber, .. Benefits]);

    [Fact]
    public void A_271_reads_into_status_plan_identifiers_dates_and_contacts()
    {
        var r = Eligibility271Parser.Parse(Full());

        Assert.Equal(("000000017", "0001", "TRC-0001"), (r.InterchangeControlNumber, r.TransactionControlNumber, r.SubmitterReference));
        Assert.Equal(new DateOnly(2025, 3, 14), r.CreatedDate);
        Assert.Equal(CoverageStatus.Active, r.Status);
        Assert.Equal("ACME GOLD PPO", r.PlanName);
        Assert.Equal(("PR", "Preferred Provider Organization (PPO)"), (r.InsuranceType!.Code, r.InsuranceType.Display));
        Assert.Equal(("GRP-100", "RIVERSIDE EMPLOYEES", "PLAN-7"), (r.GroupNumber, r.GroupName, r.PlanNumber));
        Assert.Equal((new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31)), (r.PlanBegin, r.PlanEnd));
        Assert.Equal(new DateOnly(2023, 1, 1), r.EligibilityBegin);
        Assert.Null(r.EligibilityEnd);
        Assert.Equal("18", r.Subscriber!.Relationship);
        var contact = Assert.Single(r.PayerContacts);
        Assert.Equal("PROVIDER SERVICES", contact.Name);
        Assert.Equal([new EligibilityCommunication("TE", "8005550100"), new EligibilityCommunication("UR", "WWW.ACME.EXAMPLE")], contact.Numbers);
        Assert.Equal(["2", "1"], r.Traces.Select(t => t.Type));
        Assert.Single(r.Traces, t => t.IsEchoOfInquiry && t.Number == "TRC-0001");
    }

    [Fact]
    public void Benefits_carry_their_codes_with_names_amounts_percentages_quantities_and_loop_details()
    {
        var r = Eligibility271Parser.Parse(Full());

        Assert.Equal(14, r.Benefits.Count);
        var copay = r.Benefits[2];
        Assert.Equal(("B", "Co-Payment"), (copay.Information.Code, copay.Information.Display));
        Assert.Equal(("IND", "Individual"), (copay.CoverageLevel!.Code, copay.CoverageLevel.Display));
        Assert.Equal(("27", "Visit"), (copay.TimePeriod!.Code, copay.TimePeriod.Display));
        Assert.Equal((25m, NetworkIndicator.InNetwork), (copay.Amount, copay.Network));
        Assert.Equal(["PRIMARY CARE"], copay.Messages);
        Assert.Equal(0.2m, r.Benefits[4].PercentageAsDecimal);
        Assert.Equal(("29", "Remaining", 300.5m), (r.Benefits[7].TimePeriod!.Code, r.Benefits[7].TimePeriod!.Display, r.Benefits[7].Amount));
        Assert.Equal(new DateOnly(2025, 12, 31), Assert.Single(r.Benefits[7].Dates).End);
        Assert.Equal("Non-Covered", r.Benefits.Single(b => b.CoversServiceType("35")).Information.Display);
        var limitation = r.Benefits[^1];
        Assert.Equal(("Limitations", "Visits", 20m), (limitation.Information.Display, limitation.QuantityQualifier!.Display, limitation.Quantity));
        var delivery = Assert.Single(limitation.Deliveries);
        Assert.Equal(("VS", 20m, "Service Year"), (delivery.QuantityQualifier, delivery.Quantity, delivery.TimePeriod!.Display));
    }

    [Fact]
    public void A_benefit_level_rejection_is_listed_without_making_the_coverage_rejected()
    {
        var r = Eligibility271Parser.Parse(Full());

        var rejection = Assert.Single(r.Rejections);
        Assert.Equal(("2110C", "53", "Inquired Benefit Inconsistent with Provider Type"), (rejection.Loop, rejection.Reason.Code, rejection.Reason.Display));
        Assert.Same(rejection, r.Benefits.Single(b => b.CoversServiceType("AL")).Rejections.Single());
        Assert.False(r.IsRejected);
    }

    [Fact]
    public void Cost_share_prefers_the_service_type_in_network_and_individual_values()
    {
        var office = Eligibility271Parser.Parse(Full()).CostShareFor("98");

        Assert.Equal(25m, office.CopayAmount); // not the family 40, not the out-of-network 60
        Assert.Equal(0.2m, office.CoinsurancePercentageAsDecimal); // plan level (30) applies to 98
        Assert.Equal(750m, office.DeductibleAmount); // in-network over the 1500 out-of-network
        Assert.Equal(300.5m, office.DeductibleRemainingAmount);
        Assert.Equal((5000m, 4200m), (office.OutOfPocketAmount, office.OutOfPocketRemainingAmount)); // W: in and out of network

        var plan = Eligibility271Parser.Parse(Full()).CostShareFor("30");
        Assert.Null(plan.Copay); // the co-pays are for office visits only
        Assert.Equal(750m, plan.DeductibleAmount);
    }

    [Theory]
    [InlineData("EB*6*IND*30*PR*ACME GOLD PPO", CoverageStatus.Inactive, "Inactive")]
    [InlineData("EB*5*IND*30*PR*ACME GOLD PPO", CoverageStatus.Active, "Active - Pending Investigation")]
    [InlineData("EB*8**30", CoverageStatus.Inactive, "Inactive - Pending Investigation")]
    public void EB01_decides_the_coverage_status(string eb, CoverageStatus status, string detail)
    {
        var r = Eligibility271Parser.Parse(Interchange([.. Header, .. Subscriber, eb]));
        Assert.Equal((status, detail), (r.Status, r.StatusDetail!.Display));
    }

    [Fact]
    public void A_status_given_only_for_some_service_types_is_used_when_there_is_no_plan_level_one()
    {
        var r = Eligibility271Parser.Parse(Interchange([.. Header, .. Subscriber, "EB*B**98**GOLD*27*20", "EB*6**AL", "EB*1**98"]));
        Assert.Equal(CoverageStatus.Active, r.Status);
        Assert.Equal("GOLD", r.PlanName);
        var none = Eligibility271Parser.Parse(Interchange([.. Header, .. Subscriber, "EB*B**98**GOLD*27*20"]));
        Assert.Equal(CoverageStatus.Unknown, none.Status);
    }

    [Theory]
    [InlineData("2100A", "72", "AAA*Y**42*R", "Unable to Respond at Current Time (42); Resubmission Allowed")]
    [InlineData("2100C", "72", "AAA*Y**72*C", "Invalid/Missing Subscriber/Insured ID (72); Please Correct and Resubmit")]
    [InlineData("2100C", "75", "AAA*Y**75*C", "Subscriber/Insured Not Found (75); Please Correct and Resubmit")]
    [InlineData("2100C", "58", "AAA*N**58*C", "Invalid/Missing Date-of-Birth (58); Please Correct and Resubmit")]
    [InlineData("2100C", "15", "AAA*N**15*C", "Required application data missing (15); Please Correct and Resubmit")]
    [InlineData("2100B", "43", "AAA*N**43*C", "Invalid/Missing Provider Identification (43); Please Correct and Resubmit")]
    public void AAA_rejections_at_each_level_make_the_answer_rejected_with_reason_and_follow_up(string loop, string _, string aaa, string message)
    {
        string[] body = loop switch
        {
            "2100A" => [Header[0], "HL*1**20*0", Header[2], aaa],
            "2100B" => [.. Header[..4], "HL*2*1*21*0", Header[5], aaa],
            _ => [.. Header, "HL*3*2*22*0", "TRN*2*TRC-0001*9MERIDIANC", "NM1*IL*1*MULLER*ANA****MI*W123456789", aaa, "DMG*D8*19800615*F"],
        };
        var r = Eligibility271Parser.Parse(Interchange(body));

        Assert.Equal(CoverageStatus.Rejected, r.Status);
        var rejection = Assert.Single(r.Rejections);
        Assert.Equal((loop, message), (rejection.Loop, rejection.Message));
        Assert.Equal(aaa.StartsWith("AAA*Y", StringComparison.Ordinal), rejection.ValidRequest);
        Assert.Empty(r.Benefits);
    }

    [Fact]
    public void A_dependent_level_rejection_names_loop_2100D()
    {
        string[] body =
        [
            .. Header, "HL*3*2*22*1", "NM1*IL*1*MULLER*ANA****MI*W123456789", "HL*4*3*23*0", "TRN*2*TRC-0002*9MERIDIANC",
            "NM1*03*1*MULLER*LEO", "AAA*Y**67*C",
        ];
        var r = Eligibility271Parser.Parse(Interchange(body));
        Assert.Equal(("2100D", "Patient Not Found"), (r.Rejections.Single().Loop, r.Rejections.Single().Reason.Display));
        Assert.Equal("LEO MULLER", r.Patient!.Name.DisplayName);
    }

    [Fact]
    public void Several_patients_are_read_with_ParseAll_and_refused_by_Parse()
    {
        string[] body =
        [
            .. Header, "HL*3*2*22*0", "NM1*IL*1*ONE*A****MI*M1", "EB*1**30",
            "HL*4*2*22*1", "NM1*IL*1*TWO*B****MI*M2", "HL*5*4*23*0", "NM1*03*1*TWO*C", "EB*6**30",
        ];
        var text = Interchange(body);
        var all = Eligibility271Parser.ParseAll(text);
        Assert.Equal([("A ONE", CoverageStatus.Active), ("C TWO", CoverageStatus.Inactive)], all.Select(r => (r.Patient!.Name.DisplayName, r.Status)));
        Assert.Equal("M2", all[1].Subscriber!.MemberId);
        Assert.Contains("answers for 2 patients", Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(text)).Message);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "EB*1*IND*30*PR*ACME GOLD PPO", "EB*ZZ*IND*30", "EB01 \"ZZ\" is not an eligibility or benefit information code" },
        { "EB*B*IND*98*PR**27*25*****Y", "EB*B*IND*98*PR**27*2S*****Y", "EB07 \"2S\" is not a number" },
        { "EB*A*IND*30*PR****.2****Y", "EB*A*IND*30*PR****20****Y", "must lie between 0 and 1" },
        { "DTP*356*D8*20230101", "DTP*356*D8*20231301", "DTP03 \"20231301\" is not a date" },
        { "DTP*291*RD8*20250101-20251231", "DTP*291*RD8*20251231-20250101", "ends before it starts" },
        { "DMG*D8*19800615*F", "DMG*D8*19800615*X", "DMG03 \"X\" is not a gender code" },
        { "EB*B*IND*98*PR**27*60*****N", "EB*B*IND*98*PR**27*60*****Q", "EB12 \"Q\" must be one of Y, N, U, W" },
        { "MSG*PRIMARY CARE", "CLM*1*20", "CLM is not allowed here: the 271 (005010X279A1) does not carry it in loop 2110C" },
        { "HL*3*2*22*0", "HL*3*1*22*0", "level 22 must sit under level 21, but its parent HL 1 is level 20" },
        { "HL*3*2*22*0", "HL*3*2*22*1", "HL04 is 1 but no HL level follows under HL 3" },
        { "HL*3*2*22*0", "HL*4*2*22*0", "HL01 is \"4\" but HL segments are numbered from 1 in order (expected 3)" },
        { "NM1*IL*1*MULLER*ANA****MI*W123456789", "NM1*03*1*MULLER*ANA", "NM101 must be IL (insured or subscriber) in loop 2100C" },
        { "NM1*PR*2*ACME HEALTH PLAN*****PI*87726", "NM1*PR*2*ACME HEALTH PLAN*****PI", "NM108 and NM109 must be sent together" },
        { "BHT*0022*11*TRC-0001*20250314*0930", "BHT*0022*13*TRC-0001*20250314*0930", "BHT02 must be 11 (response) or 06 (confirmation)" },
        { "AAA*Y**53*C", "LS*2120", "LS*2120 is not closed with LE" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_271_is_refused_whole_with_the_segment_and_fault_named(string good, string bad, string reason)
    {
        string[] body = [.. Header, .. Subscriber, .. Benefits];
        var index = Array.IndexOf(body, good);
        Assert.True(index >= 0, $"test setup: {good} is not in the sample");
        body[index] = bad;
        var error = Assert.Throws<X12FormatException>(() => Eligibility271Parser.ParseAll(Interchange(body)));
        Assert.Contains(reason, error.Message);
        Assert.NotNull(error.SegmentPosition);
    }

    [Fact]
    public void A_level_without_its_name_segment_is_refused()
    {
        var error = Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(Interchange([Header[0], "HL*1**20*0", "AAA*Y**42*R"])));
        Assert.Contains("HL 1 (level 20) has no NM1 information source name (loop 2100A), which is required", error.Message);
        var ebFirst = Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(Interchange([.. Header, "HL*3*2*22*0", "EB*1**30"])));
        Assert.Contains("EB is not allowed here: the 271 (005010X279A1) does not carry it in loop 2000C", ebFirst.Message);
    }

    [Fact]
    public void Other_transactions_and_versions_are_refused_as_not_a_271()
    {
        var inquiry = new Eligibility270Builder(new FixedZoneClock(X12Samples.Now)).Build(X12Samples.Subscriber(), 3);
        Assert.Contains("expected a 271 eligibility response but transaction set 0001 is a 270 (an eligibility inquiry, not its answer)",
            Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(inquiry)).Message);
        Assert.Contains("implementation guide \"004010X092A1\" is not supported",
            Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(Interchange([.. Header, .. Subscriber], implementation: "004010X092A1"))).Message);
        Assert.Contains("GS01 = HB", Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(Interchange([.. Header, .. Subscriber], gs01: "HS"))).Message);
        var truncated = Full()[..^12];
        Assert.Contains("truncated", Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse(truncated)).Message);
        Assert.Contains("the input is empty", Assert.Throws<X12FormatException>(() => Eligibility271Parser.Parse("")).Message);
    }

    [Fact]
    public void A_999_in_place_of_the_271_is_reported_as_an_acknowledgment_with_its_errors()
    {
        string[] body =
        [
            "AK1*HS*17*005010X279A1", "AK2*270*0001*005010X279A1", "IK3*NM1*7*2100C*8", "IK4*9*67*1", "IK4*3:1**7*ZZ", "IK5*R*I5", "AK9*R*1*1*0",
        ];
        var text = Interchange(body, "999", "005010X231A1", "FA");
        var error = Assert.Throws<X12AcknowledgmentException>(() => Eligibility271Parser.Parse(text));

        var ack = error.Acknowledgment;
        Assert.Equal(X12AcknowledgmentKind.Implementation, ack.Kind);
        Assert.False(ack.Accepted);
        Assert.Equal(("HS", "17", "Rejected"), (ack.AcknowledgedGroupCode, ack.AcknowledgedControlNumber, ack.Status.Display));
        var transaction = Assert.Single(ack.Transactions);
        Assert.Equal("Implementation One or More Segments in Error", transaction.SyntaxErrors.Single().Display);
        var segment = Assert.Single(transaction.SegmentErrors);
        Assert.Equal(("NM1", 7, "2100C", "Segment Has Data Element Errors"), (segment.SegmentId, segment.Position, segment.Loop, segment.Error!.Display));
        Assert.Equal([(9, null, "Required Data Element Missing", null), (3, 1, "Invalid Code Value", "ZZ")],
            segment.ElementErrors.Select(e => (e.Position, e.ComponentPosition, e.Error.Display, e.BadValue)));
        Assert.StartsWith("X12: expected a 271 eligibility response but received an acknowledgment instead: 999: group HS 17 Rejected (R); 270 0001 Rejected (R), Implementation One or More Segments in Error, segment 7 NM1 in loop 2100C",
            error.Message);
    }

    [Fact]
    public void A_TA1_in_place_of_the_271_is_reported_as_an_interchange_rejection()
    {
        var isa = X12Reader.ReadSegments(Full())[0];
        var w = new X12Writer();
        w.BeginInterchange(new X12InterchangeHeader(new EdiParty("ZZ", "CH"), new EdiParty("ZZ", "MERIDIANCLINIC"), 5, DateTimeOffset.UnixEpoch));
        w.InterchangeAcknowledgment(isa, 'R', "006");
        w.EndInterchange();

        var error = Assert.Throws<X12AcknowledgmentException>(() => Eligibility271Parser.Parse(w.ToString()));
        Assert.Equal(X12AcknowledgmentKind.Interchange, error.Acknowledgment.Kind);
        Assert.Equal(("000000017", "R", "Invalid Interchange Sender ID"),
            (error.Acknowledgment.AcknowledgedControlNumber, error.Acknowledgment.Status.Code, error.Acknowledgment.InterchangeNote!.Display));
        Assert.Contains("TA1: interchange 000000017", error.Message);
    }
}
