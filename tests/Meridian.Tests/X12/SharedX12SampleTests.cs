using Meridian.X12;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

/// <summary>
/// Real-world files from the shared data folder: the LinuxForHealth 270/271 pairs and the imsweb parser's test files
/// (valid and deliberately broken). Skipped with a message when ../shared/data/x12 is absent.
/// </summary>
public sealed class SharedX12SampleTests
{
    public static TheoryData<string> EligibilitySamples => X12SharedData.Rows("27x", "*.270", "*.271");

    /// <summary>Sample files whose envelope really is broken, and how: they are refused, never half-read.</summary>
    private static readonly Dictionary<string, string> KnownEnvelopeDefects = new()
    {
        // The sample's SE02 (4323) differs from its ST02 (4321): X12 says the trailer must repeat the header's number.
        ["lfh-271_005010X279A1-subscriber-health-benefit-check-error.271"] = "SE02 \"4323\" does not match the ST02 transaction set control number \"4321\"",
    };

    [X12DataTheory]
    [MemberData(nameof(EligibilitySamples))]
    public void Every_270_and_271_sample_is_read_or_refused_for_a_real_envelope_defect(string file)
    {
        var text = X12SharedData.Read(file);
        var name = Path.GetFileName(file);
        if (KnownEnvelopeDefects.TryGetValue(name, out var defect))
        {
            Assert.Contains(defect, Assert.Throws<X12FormatException>(() => Eligibility271Parser.ParseAll(text)).Message);
            return;
        }
        if (file.EndsWith(".270", StringComparison.Ordinal))
        {
            var inquiry = Assert.Single(Eligibility270Parser.Parse(text, new DateOnly(2006, 5, 1))).Inquiry;
            Assert.Equal("93175-012547", inquiry.TraceNumber);
            Assert.Equal(("ABC COMPANY", "842610001"), (inquiry.PayerName, inquiry.PayerId));
            Assert.Equal("11122333301", inquiry.Subscriber.MemberId);
            Assert.Equal(new DateOnly(2006, 5, 1), inquiry.ServiceDate);
            Assert.Equal(["30"], inquiry.EffectiveServiceTypeCodes);
        }
        else
        {
            var response = Assert.Single(Eligibility271Parser.ParseAll(text));
            Assert.Equal(CoverageStatus.Active, response.Status);
            Assert.Equal("GOLD 123 PLAN", response.PlanName);
            Assert.Equal("123456789", response.Subscriber!.MemberId);
        }
    }

    [X12DataFact]
    public void The_subscriber_271_sample_reads_into_coverage_plan_dates_copays_and_the_primary_care_provider()
    {
        var r = Eligibility271Parser.Parse(X12SharedData.Read("27x/lfh-271_005010X279A1-subscriber-health-benefit-check.271"));

        Assert.Equal(("ABC COMPANY", "PI", "841610001"), (r.Payer!.Name, r.Payer.IdQualifier, r.Payer.Id));
        Assert.Equal("BONE AND JOIN CLINIC", r.Receiver!.Name);
        Assert.Same(r.Subscriber, r.Patient);
        Assert.Null(r.Dependent);
        Assert.Equal("JOHN SMITH", r.Subscriber!.Name.DisplayName);
        Assert.Equal(new EligibilityAddress("15197 BROADWAY AVENUE", "APT 215", "KANSAS CITY", "MO", "64108"), r.Subscriber.Address);
        Assert.Equal((new DateOnly(1963, 5, 19), X12Gender.Male), (r.Subscriber.BirthDate, r.Subscriber.Gender));
        var trace = Assert.Single(r.Traces);
        Assert.Equal(("2", "93175-012547", "9877281234"), (trace.Type, trace.Number, trace.AssigningEntityId));
        Assert.Equal("10001234", r.SubmitterReference);

        Assert.Equal(CoverageStatus.Active, r.Status);
        Assert.Equal(("1", "Active Coverage"), (r.StatusDetail!.Code, r.StatusDetail.Display));
        Assert.Equal(new DateOnly(2006, 1, 1), r.PlanBegin);
        Assert.Null(r.PlanEnd);
        Assert.Equal("HM", r.InsuranceType!.Code);
        Assert.Equal(5, r.Benefits.Count);

        var pcp = r.Benefits.Single(b => b.Information.Code == "L");
        Assert.Equal("Primary Care Provider", pcp.Information.Display);
        var entity = Assert.Single(pcp.RelatedEntities).Entity;
        Assert.Equal(("2120C", "P3", "MARCUS JONES", "0202034"), (entity.Loop, entity.EntityCode, entity.DisplayName, entity.Id));

        var copays = r.Benefits.Where(b => b.Information.Code == "B").ToList();
        Assert.Equal([10.00m, 30.00m], copays.Select(b => b.Amount!.Value));
        Assert.Equal([NetworkIndicator.InNetwork, NetworkIndicator.OutOfNetwork], copays.Select(b => b.Network!.Value));
        Assert.Equal("Visit", copays[0].TimePeriod!.Display);
        Assert.Equal(10, copays[0].ServiceTypes.Count);
        Assert.Equal("Professional (Physician) Visit - Office", copays[0].ServiceTypes.Single(s => s.Code == "98").Display);

        // The office visit co-pay prefers the in-network value; nothing was said about deductibles.
        var office = r.CostShareFor("98");
        Assert.Equal(10.00m, office.CopayAmount);
        Assert.Null(office.DeductibleAmount);
        Assert.Equal(10.00m, r.CostShareFor("35").CopayAmount); // listed in the co-pay's EB03
        Assert.Null(r.CostShareFor("AI").Copay); // neither listed nor given at plan level
    }

    [X12DataFact]
    public void The_dependent_271_sample_answers_for_the_dependent_under_the_subscriber()
    {
        var r = Eligibility271Parser.Parse(X12SharedData.Read("27x/lfh-271_005010X279A1-dependent-health-benefit-check.271"));

        Assert.Equal("JOHN SMITH", r.Subscriber!.Name.DisplayName);
        Assert.Same(r.Dependent, r.Patient);
        Assert.Equal(("MARY SMITH", "2100D", "19"), (r.Dependent!.Name.DisplayName, r.Dependent.Name.Loop, r.Dependent.Relationship));
        Assert.Equal(new DateOnly(1998, 10, 14), r.Dependent.BirthDate);
        Assert.Empty(r.Subscriber.Traces);
        Assert.Equal("93175-012547", Assert.Single(r.Dependent.Traces).Number);
        Assert.Empty(r.Subscriber.Benefits);
        Assert.Equal(5, r.Benefits.Count);
        Assert.Equal(CoverageStatus.Active, r.Status);
        Assert.Equal(new DateOnly(2006, 1, 1), r.PlanBegin);
        Assert.Equal(10.00m, r.CostShareFor("MH").CopayAmount);
        Assert.Null(r.CostShareFor("30").Copay); // the co-pays are given for listed service types, not for the plan
    }

    [X12DataFact]
    public void The_error_271_sample_with_its_trailer_corrected_is_a_receiver_level_rejection()
    {
        var text = X12SharedData.Read("27x/lfh-271_005010X279A1-subscriber-health-benefit-check-error.271").Replace("SE*8*4323", "SE*8*4321");
        var r = Eligibility271Parser.Parse(text);

        Assert.Equal(CoverageStatus.Rejected, r.Status);
        Assert.True(r.IsRejected);
        Assert.Null(r.Subscriber);
        var rejection = Assert.Single(r.Rejections);
        Assert.Equal("2100B", rejection.Loop);
        Assert.True(rejection.ValidRequest);
        Assert.Equal("Provider Ineligible for Inquiries (50); Resubmission Not Allowed", rejection.Message);
        Assert.Equal("50", r.StatusDetail!.Code);
    }

    [X12DataFact]
    public void Imsweb_files_broken_at_envelope_level_are_refused_with_the_fault_named()
    {
        Assert.Contains("ISA02 must be exactly 10 characters (found 9",
            Assert.Throws<X12FormatException>(() => X12Reader.ReadAll(X12SharedData.Read("imsweb/x12_bad_first_line.txt"))).Message);
        Assert.Contains("does not start with an ISA interchange header",
            Assert.Throws<X12FormatException>(() => X12Reader.ReadAll(X12SharedData.Read("imsweb/x12_no_isa_line.txt"))).Message);
        var badId = Assert.Throws<X12FormatException>(() => X12Reader.ReadAll(X12SharedData.Read("imsweb/x12_bad_segment_identifier.txt")));
        Assert.Equal(6, badId.SegmentPosition);
        Assert.Contains("is not a segment identifier", badId.Message);
        Assert.Contains("IEA02 \"000000001\" does not match the ISA13 interchange control number \"000000286\"",
            Assert.Throws<X12FormatException>(() => X12Reader.ReadAll(X12SharedData.Read("imsweb/x12_999_accepted.txt"))).Message);
        Assert.Contains("SE01 says 15 segments but transaction set 000121 has 14",
            Assert.Throws<X12FormatException>(() => X12Reader.ReadAll(X12SharedData.Read("imsweb/x270.txt"))).Message);
    }

    public static TheoryData<string> ImswebClaimFiles => X12SharedData.Rows("imsweb", "x12_valid*.txt", "x12_no_errors.txt", "x12_multiple_*.txt", "x12_complex.txt", "x223-test.txt");

    /// <summary>
    /// The imsweb 837 samples all carry SE*25 whatever their length (that parser does not check the trailers), and the
    /// multi-group ones also keep GE01/IEA01 at 1. The reader refuses them for exactly that, and with the counts corrected
    /// it reads them all: other separators, several ISA/GS/ST, spaces after terminators.
    /// </summary>
    [X12DataTheory]
    [MemberData(nameof(ImswebClaimFiles))]
    public void Imsweb_claim_files_are_refused_only_for_their_wrong_trailer_counts_and_read_once_they_are_corrected(string file)
    {
        var text = X12SharedData.Read(file);
        Assert.Contains("SE01 says 25 segments", Assert.Throws<X12FormatException>(() => X12Reader.ReadAll(text)).Message);

        var interchanges = X12Reader.ReadAll(CorrectCounts(text));
        Assert.NotEmpty(interchanges);
        Assert.All(interchanges.SelectMany(i => i.TransactionSets), t => Assert.Equal("837", t.Id));
    }

    /// <summary>Rewrites SE01, GE01 and IEA01 with the real counts, using the file's own delimiters.</summary>
    private static string CorrectCounts(string text)
    {
        var result = new System.Text.StringBuilder();
        int st = 0, sets = 0, groups = 0;
        foreach (var s in X12Reader.ReadSegments(text))
        {
            var e = s.Delimiters.Element;
            var line = s.ToString();
            switch (s.Id)
            {
                case "ISA": groups = 0; break;
                case "GS": groups++; sets = 0; break;
                case "ST": st = s.Position; sets++; break;
                case "SE": line = $"SE{e}{s.Position - st + 1}{e}{s[2]}"; break;
                case "GE": line = $"GE{e}{sets}{e}{s[2]}"; break;
                case "IEA": line = $"IEA{e}{groups}{e}{s[2]}"; break;
            }
            result.Append(line).Append(s.Delimiters.Segment);
        }
        return result.ToString();
    }
}
