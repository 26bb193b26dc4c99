using Meridian.X12;
using Meridian.X12.Acknowledgments;
using Meridian.X12.Clearinghouse;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

public sealed class LocalClearinghouseSimulatorTests
{
    private readonly FixedZoneClock _clock = new(X12Samples.Now);
    private readonly LocalClearinghouseSimulator _simulator;
    private readonly Eligibility270Builder _builder;

    public LocalClearinghouseSimulatorTests()
    {
        _simulator = new LocalClearinghouseSimulator(_clock);
        _builder = new Eligibility270Builder(_clock);
    }

    private async Task<(ClearinghouseExchange Exchange, EligibilityResponse Response)> Ask(EligibilityInquiry inquiry)
    {
        var exchange = await _simulator.SendEligibilityAsync(_builder.Build(inquiry, 4711), CancellationToken.None);
        Assert.True(exchange.Succeeded, exchange.Error?.Message);
        return (exchange, Eligibility271Parser.Parse(exchange.Response!));
    }

    [Fact]
    public async Task An_ordinary_member_has_active_coverage_with_plan_dates_and_cost_sharing()
    {
        var (exchange, r) = await Ask(X12Samples.Subscriber());

        Assert.Equal(LocalClearinghouseSimulator.SimulatorName, exchange.Clearinghouse);
        Assert.Equal(X12Samples.Now, exchange.SentAt);
        Assert.Equal(CoverageStatus.Active, r.Status);
        Assert.Equal(("ACME HEALTH PLAN", "87726"), (r.Payer!.Name, r.Payer.Id));
        Assert.Equal(("MULLER-DIAZ", "W123456789"), (r.Subscriber!.Name.Name, r.Subscriber.MemberId));
        Assert.Equal("TRC-0001", r.SubmitterReference);
        Assert.Equal("TRC-0001", r.Traces.Single(t => t.IsEchoOfInquiry).Number);
        Assert.Equal(new DateOnly(2025, 1, 1), r.PlanBegin);
        Assert.NotNull(r.EligibilityBegin);
        Assert.Equal("GRP-100", r.GroupNumber);
        Assert.StartsWith("ACME HEALTH PLAN ", r.PlanName);
        Assert.NotNull(r.InsuranceType?.Display);

        var office = r.CostShareFor(EligibilityCodes.OfficeVisit);
        Assert.InRange(office.CopayAmount!.Value, 15m, 40m);
        Assert.Equal(NetworkIndicator.InNetwork, office.Copay!.Network);
        Assert.Contains("COPAY APPLIES TO PRIMARY CARE OFFICE VISITS", office.Copay.Messages);
        Assert.InRange(office.CoinsurancePercentageAsDecimal!.Value, 0.1m, 0.3m);
        Assert.Equal("Calendar Year", office.Deductible!.TimePeriod!.Display);
        Assert.InRange(office.DeductibleRemainingAmount!.Value, 0m, office.DeductibleAmount!.Value);
        Assert.InRange(office.OutOfPocketRemainingAmount!.Value, 0m, office.OutOfPocketAmount!.Value);
        Assert.Equal("IND", office.Deductible.CoverageLevel!.Code);
        Assert.Empty(r.Rejections);

        // The answer comes back the way the request went: sender and receiver swapped, the request's control number reused.
        var interchange = X12Reader.Read(exchange.Response!);
        Assert.Equal(("CLEARINGHOUSE", "MERIDIANCLINIC", "000004711"), (interchange.SenderId, interchange.ReceiverId, interchange.ControlNumber));
    }

    [Fact]
    public async Task The_same_inquiry_gets_the_same_answer_and_different_payers_get_different_plans()
    {
        var inquiry = _builder.Build(X12Samples.Subscriber(), 1);
        var first = await _simulator.SendEligibilityAsync(inquiry, CancellationToken.None);
        var second = await new LocalClearinghouseSimulator(_clock).SendEligibilityAsync(inquiry, CancellationToken.None);
        Assert.Equal(first.Response, second.Response);

        var plans = new HashSet<(decimal?, decimal?, decimal?, string?)>();
        foreach (var payer in new[] { "87726", "60054", "62308", "00431", "39026", "SX065" })
        {
            var (_, r) = await Ask(X12Samples.Subscriber(payerId: payer));
            var share = r.CostShareFor("98");
            plans.Add((share.CopayAmount, share.DeductibleAmount, share.OutOfPocketAmount, r.InsuranceType?.Code));
        }
        Assert.True(plans.Count >= 4, $"six demo payers gave only {plans.Count} different plans");
    }

    [Fact]
    public async Task A_member_id_starting_with_INACT_is_inactive_with_the_plan_ended_before_the_service_month()
    {
        var (_, r) = await Ask(X12Samples.Subscriber("INACT0042"));

        Assert.Equal(CoverageStatus.Inactive, r.Status);
        Assert.Equal(("6", "Inactive"), (r.StatusDetail!.Code, r.StatusDetail.Display));
        Assert.Equal(new DateOnly(2025, 2, 28), r.PlanEnd);
        Assert.Equal(new DateOnly(2025, 1, 1), r.PlanBegin);
        Assert.Null(r.CostShareFor("98").Copay);
    }

    [Theory]
    [InlineData("ERR12345", "72", "Invalid/Missing Subscriber/Insured ID")]
    [InlineData("BAD ID!", "72", "Invalid/Missing Subscriber/Insured ID")]
    [InlineData("NOTFOUND77", "75", "Subscriber/Insured Not Found")]
    public async Task Erroneous_and_unknown_member_ids_are_rejected_in_2100C(string memberId, string code, string reason)
    {
        var (exchange, r) = await Ask(X12Samples.Subscriber(memberId));

        Assert.Equal(CoverageStatus.Rejected, r.Status);
        var rejection = Assert.Single(r.Rejections);
        Assert.Equal(("2100C", code, reason, "C"), (rejection.Loop, rejection.Reason.Code, rejection.Reason.Display, rejection.FollowUpAction!.Code));
        Assert.True(rejection.ValidRequest);
        Assert.Contains($"~AAA*Y**{code}*C~", exchange.Response);
        Assert.Equal("TRC-0001", r.Traces.Single().Number); // still matched to the inquiry
        Assert.Empty(r.Benefits);
    }

    [Fact]
    public async Task Payer_UNAVAIL_answers_unable_to_respond_now_at_the_information_source()
    {
        var (exchange, r) = await Ask(X12Samples.Subscriber(payerId: "UNAVAIL"));

        Assert.Equal(CoverageStatus.Rejected, r.Status);
        Assert.Null(r.Receiver);
        Assert.Null(r.Subscriber);
        var rejection = Assert.Single(r.Rejections);
        Assert.Equal(("2100A", "Unable to Respond at Current Time (42); Resubmission Allowed"), (rejection.Loop, rejection.Message));
        Assert.Contains("~AAA*Y**42*R~", exchange.Response);
    }

    [Fact]
    public async Task A_service_date_far_in_the_future_is_rejected()
    {
        var (_, r) = await Ask(X12Samples.Subscriber() with { ServiceDate = new DateOnly(2027, 1, 1) });
        Assert.Equal("Date of Service in Future", r.Rejections.Single().Reason.Display);
    }

    [Fact]
    public async Task A_dependent_inquiry_is_answered_for_the_dependent_under_the_subscriber()
    {
        var (exchange, r) = await Ask(X12Samples.Dependent());

        Assert.Equal(CoverageStatus.Active, r.Status);
        Assert.Equal("LEO MULLER", r.Patient!.Name.DisplayName);
        Assert.Same(r.Dependent, r.Patient);
        Assert.Equal((new DateOnly(2015, 2, 1), X12Gender.Male), (r.Dependent!.BirthDate, r.Dependent.Gender));
        Assert.Equal("TRC-0002", r.Dependent.Traces.Single().Number);
        Assert.Empty(r.Subscriber!.Traces);
        Assert.Empty(r.Subscriber.Benefits);
        Assert.Equal("FAM", r.Benefits[0].CoverageLevel!.Code);
        Assert.NotNull(r.CostShareFor("98").CopayAmount);
        Assert.Contains("~HL*4*3*23*0~", exchange.Response);
        // Same member, other patient: the deductible met so far may differ, the plan does not.
        var (_, subscriberAnswer) = await Ask(X12Samples.Subscriber());
        Assert.Equal(subscriberAnswer.CostShareFor("98").CopayAmount, r.CostShareFor("98").CopayAmount);
    }

    [Fact]
    public async Task Each_service_type_asked_beyond_the_plan_gets_its_own_answer()
    {
        var (_, r) = await Ask(X12Samples.Subscriber(serviceTypes: ["30", "35", "A6"]));

        Assert.Equal("Non-Covered", r.Benefits.Single(b => b.CoversServiceType("35")).Information.Display);
        Assert.Equal("Active Coverage", r.Benefits.Single(b => b.CoversServiceType("A6")).Information.Display);
    }

    [Fact]
    public async Task A_270_with_malformed_content_is_refused_with_a_999_naming_the_segment()
    {
        var x12 = _builder.Build(X12Samples.Subscriber(), 9).Replace("NM1*IL*1*", "NM1*XX*1*");
        var exchange = await _simulator.SendEligibilityAsync(x12, CancellationToken.None);

        var error = Assert.Throws<X12AcknowledgmentException>(() => Eligibility271Parser.Parse(exchange.Response!));
        var ack = error.Acknowledgment;
        Assert.Equal((X12AcknowledgmentKind.Implementation, "R", "HS", "9"), (ack.Kind, ack.Status.Code, ack.AcknowledgedGroupCode, ack.AcknowledgedControlNumber));
        var segment = Assert.Single(Assert.Single(ack.Transactions).SegmentErrors);
        Assert.Equal(("NM1", 9), (segment.SegmentId, segment.Position)); // the ninth segment of the 270 counting ST as 1
    }

    [Fact]
    public async Task A_270_in_the_wrong_functional_group_is_rejected_with_the_whole_group()
    {
        // GS01 HB (a 271's group) around a 270: the fault is in the GS, outside every transaction set.
        var x12 = _builder.Build(X12Samples.Subscriber(), 9).Replace("~GS*HS*", "~GS*HB*");
        var exchange = await _simulator.SendEligibilityAsync(x12, CancellationToken.None);

        var ack = Assert.Throws<X12AcknowledgmentException>(() => Eligibility271Parser.Parse(exchange.Response!)).Acknowledgment;
        Assert.Equal(("R", "HB"), (ack.Status.Code, ack.AcknowledgedGroupCode));
        Assert.False(Assert.Single(ack.Transactions).Accepted);
        Assert.Contains("~AK9*R*1*1*0*1~", exchange.Response);
    }

    [Fact]
    public async Task A_270_with_a_broken_envelope_is_refused_with_a_TA1_and_unreadable_input_with_an_error()
    {
        var x12 = _builder.Build(X12Samples.Subscriber(), 9).Replace("IEA*1*000000009", "IEA*1*000000010");
        var ta1 = await _simulator.SendEligibilityAsync(x12, CancellationToken.None);
        var ack = Assert.Throws<X12AcknowledgmentException>(() => Eligibility271Parser.Parse(ta1.Response!)).Acknowledgment;
        Assert.Equal((X12AcknowledgmentKind.Interchange, "000000009", "001"), (ack.Kind, ack.AcknowledgedControlNumber, ack.InterchangeNote!.Code));

        var garbage = await _simulator.SendEligibilityAsync("hello", CancellationToken.None);
        Assert.False(garbage.Succeeded);
        Assert.Equal(ClearinghouseErrorKind.Rejected, garbage.Error!.Kind);
        Assert.Contains("does not start with an ISA", garbage.Error.Message);

        // A delimiter inside ISA06 cannot be echoed into an answer: refused as unreadable, not thrown.
        var colon = await _simulator.SendEligibilityAsync(_builder.Build(X12Samples.Subscriber(), 9).Replace("*MERIDIANCLINIC *", "*MERIDIAN:CLINIC*"), CancellationToken.None);
        Assert.Equal(ClearinghouseErrorKind.Rejected, colon.Error!.Kind);
        Assert.Contains("ISA06 contains ':'", colon.Error.Message);
    }

    [Fact]
    public async Task A_request_with_other_delimiters_is_answered_in_the_same_delimiters()
    {
        // Element separator |, component >, terminator newline: a name may then hold a * legitimately.
        var lines = X12Samples.Lines(_builder.Build(X12Samples.Subscriber(), 12))
            .Select(l => l.Replace('*', '|').Replace("MULLER-DIAZ", "MULLER*DIAZ")).ToList();
        lines[0] = lines[0][..^1] + ">";
        var exchange = await _simulator.SendEligibilityAsync(string.Join("\n", lines) + "\n", CancellationToken.None);

        var answer = X12Reader.Read(exchange.Response!);
        Assert.Equal(new X12Delimiters('|', '^', '>', '\n'), answer.Delimiters);
        var r = Eligibility271Parser.Parse(exchange.Response!);
        Assert.Equal(("MULLER*DIAZ", CoverageStatus.Active), (r.Subscriber!.Name.Name, r.Status));
    }

    [Fact]
    public async Task A_request_without_a_repetition_separator_using_the_usual_candidates_is_still_answered()
    {
        // ISA11 U (no repetition separator) with | ! ^ as element, component and segment delimiters: the answer needs a fourth.
        var x12 = _builder.Build(X12Samples.Subscriber(), 12).Replace("*^*00501*", "*U*00501*").Replace('*', '|').Replace(':', '!').Replace('~', '^');
        var exchange = await _simulator.SendEligibilityAsync(x12, CancellationToken.None);

        Assert.True(exchange.Succeeded, exchange.Error?.Message);
        Assert.Equal(new X12Delimiters('|', '{', '!', '^'), X12Reader.Read(exchange.Response!).Delimiters);
        Assert.Equal(CoverageStatus.Active, Eligibility271Parser.Parse(exchange.Response!).Status);
    }

    [Fact]
    public async Task Latency_is_simulated_and_cancellation_is_honoured()
    {
        var slow = new LocalClearinghouseSimulator(TimeProvider.System, new LocalClearinghouseSimulatorOptions { Latency = TimeSpan.FromMilliseconds(300) });
        var x12 = new Eligibility270Builder(TimeProvider.System).Build(X12Samples.Subscriber() with { ServiceDate = DateOnly.FromDateTime(DateTime.Today) }, 1);
        var exchange = await slow.SendEligibilityAsync(x12, CancellationToken.None);
        Assert.True(exchange.Elapsed >= TimeSpan.FromMilliseconds(290), $"elapsed {exchange.Elapsed}");
        Assert.Equal(CoverageStatus.Active, Eligibility271Parser.Parse(exchange.Response!).Status);

        // A latency far beyond the cancellation, so that a loaded machine cannot let the delay finish first.
        var stuck = new LocalClearinghouseSimulator(TimeProvider.System, new LocalClearinghouseSimulatorOptions { Latency = TimeSpan.FromMinutes(5) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stuck.SendEligibilityAsync(x12, cancel.Token));
    }
}
