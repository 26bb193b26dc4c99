using System.Globalization;
using System.Text;
using Meridian.X12.Eligibility;

namespace Meridian.X12.Clearinghouse;

public sealed class LocalClearinghouseSimulatorOptions
{
    /// <summary>How long each answer takes, to make a demo feel like a network call. Zero by default.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;
}

/// <summary>
/// A SIMULATOR of a clearinghouse and its payers, for demos and tests: no data leaves the process. It reads the 270 with
/// <see cref="Eligibility270Parser"/> and answers as a payer would, with a 271 written by <see cref="X12Writer"/>:
/// <list type="bullet">
/// <item>payer id UNAVAIL: AAA*Y**42*R in 2100A (unable to respond now, resubmission allowed);</item>
/// <item>provider NPI missing or invalid: AAA*N**43*C in 2100B;</item>
/// <item>member id starting with ERR, or empty or malformed (not 2–30 letters, digits or hyphens): AAA*Y**72*C in 2100C;</item>
/// <item>member id starting with NOTFOUND: AAA*Y**75*C (subscriber not found);</item>
/// <item>missing subscriber name (73), birth date (58), birth date after the service date (60), service date more than
/// a year ahead (63) or two years back (62), and for dependents missing name (65) or birth date (58): AAA in 2100C/2100D;</item>
/// <item>member id starting with INACT: EB*6 inactive, plan ended at the end of the month before the service date;</item>
/// <item>anything else: active coverage with plan dates, office-visit (98), urgent-care and emergency co-pays, co-insurance,
/// deductible and out-of-pocket (calendar year and remaining, individual and family, in and out of network), a primary care
/// provider for HMO plans, and an active or non-covered answer for each other service type asked;</item>
/// <item>a dependent inquiry gets the benefits in 2110D under the dependent.</item>
/// </list>
/// Answers are deterministic: amounts come from a hash of the payer id and group number (so demo payers differ), the
/// deductible already met from a hash of the member; only the timestamps come from the <see cref="TimeProvider"/>.
/// An interchange whose envelope is broken gets a TA1 rejection, a 270 whose content is malformed a 999 rejection, and an
/// input without a readable ISA an error (a real endpoint would refuse it the same way).
/// </summary>
public sealed class LocalClearinghouseSimulator(TimeProvider time, LocalClearinghouseSimulatorOptions? options = null) : IClearinghouse
{
    public const string SimulatorName = "Local clearinghouse simulator";

    private readonly TimeSpan _latency = options?.Latency ?? TimeSpan.Zero;

    public string Name => SimulatorName;

    public async Task<ClearinghouseExchange> SendEligibilityAsync(string request270, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request270);
        var sentAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        if (_latency > TimeSpan.Zero) await Task.Delay(_latency, time, ct);
        ct.ThrowIfCancellationRequested();
        var (response, error) = Answer(request270);
        return new ClearinghouseExchange(Name, request270, response, sentAt, time.GetElapsedTime(started), error);
    }

    internal (string? Response, ClearinghouseError? Error) Answer(string request270)
    {
        IReadOnlyList<X12Segment> segments;
        try
        {
            segments = X12Reader.ReadSegments(request270);
        }
        catch (X12FormatException e)
        {
            // No segments to answer with a TA1: the header, a delimiter or a segment cannot be read.
            return (null, new ClearinghouseError(ClearinghouseErrorKind.Rejected, $"{SimulatorName} could not read the interchange: {e.Message}"));
        }

        var isa = segments[0];
        X12Interchange interchange;
        try
        {
            var all = X12Reader.ReadAll(segments);
            if (all.Count != 1) return (Ta1(isa, "022"), null); // one interchange per real-time request
            interchange = all[0];
        }
        catch (X12FormatException e)
        {
            return (Ta1(isa, e.Problem.StartsWith("IEA02", StringComparison.Ordinal) ? "001" : e.Problem.StartsWith("IEA01", StringComparison.Ordinal) ? "021" : "022"), null);
        }

        var today = DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        IReadOnlyList<ReceivedEligibilityInquiry> inquiries;
        try
        {
            inquiries = Eligibility270Parser.Parse(interchange, today);
        }
        catch (X12FormatException e)
        {
            return (Reject999(interchange, e), null);
        }
        return (Write271(interchange, inquiries, today), null);
    }

    // ---- envelope-level answers ----

    private string Ta1(X12Segment isa, string note)
    {
        var w = new X12Writer(ReplyDelimiters(isa.Delimiters));
        w.BeginInterchange(new X12InterchangeHeader(
            new EdiParty(isa[7], isa[8].TrimEnd()), new EdiParty(isa[5], isa[6].TrimEnd()), ControlNumber(isa[13]), time.GetLocalNow(),
            isa[15] == "T" ? X12Usage.Test : X12Usage.Production));
        // TA104 R: the interchange is rejected because of errors in its control structure.
        w.InterchangeAcknowledgment(isa, 'R', note);
        w.EndInterchange();
        return w.ToString();
    }

    private string Reject999(X12Interchange interchange, X12FormatException error)
    {
        var now = time.GetLocalNow();
        var w = new X12Writer(ReplyDelimiters(interchange.Delimiters));
        w.BeginInterchange(Reply(interchange, now));
        foreach (var group in interchange.Groups)
        {
            // GS01 FA: functional acknowledgment; 005010X231A1 is the 999 implementation guide.
            w.BeginGroup("FA", ControlNumber(group.ControlNumber), "005010X231A1", now);
            w.BeginTransaction("999", "0001", "005010X231A1");
            w.Segment("AK1", group.FunctionalIdentifierCode, group.ControlNumber, group.Version);
            var accepted = 0;
            var position = error.SegmentPosition;
            // A fault in the GS itself (e.g. GS01 not HS) rejects the whole group: every transaction set with it.
            var groupAtFault = position == group.Header.Position;
            foreach (var set in group.TransactionSets)
            {
                w.Segment("AK2", set.Id, set.ControlNumber, set.ImplementationReference);
                var inSet = position is { } p && p >= set.Header.Position && p <= set.Trailer.Position;
                if (!inSet && position is not null && !groupAtFault)
                {
                    w.Segment("IK5", "A");
                    accepted++;
                    continue;
                }
                if (inSet && error.SegmentId is { } id)
                {
                    // IK304: 2 unexpected segment, 3 required segment missing, 8 segment has data element errors.
                    var code = error.Problem.Contains("not allowed here", StringComparison.Ordinal) ? "2"
                        : error.Problem.Contains("which is required", StringComparison.Ordinal) ? "3" : "8";
                    // IK302: the position within the transaction set, ST being 1.
                    w.Segment("IK3", id, set.PositionInTransaction(set.Segments.First(x => x.Position == position)).ToString(CultureInfo.InvariantCulture), null, code);
                }
                // IK5 R, with I5 (implementation one or more segments in error) unless the fault is the group's.
                w.Segment("IK5", "R", groupAtFault ? null : "I5");
            }
            var count = group.TransactionSets.Count;
            var total = count.ToString(CultureInfo.InvariantCulture);
            // AK901 A all accepted, P partially, R none; AK905 1: functional group not supported.
            w.Segment("AK9", accepted == 0 ? "R" : accepted == count ? "A" : "P", total, total, accepted.ToString(CultureInfo.InvariantCulture),
                groupAtFault ? "1" : null);
            w.EndTransaction();
            w.EndGroup();
        }
        w.EndInterchange();
        return w.ToString();
    }

    private static X12InterchangeHeader Reply(X12Interchange to, DateTimeOffset now)
    {
        var group = to.Groups.FirstOrDefault();
        // The answer goes back the way the request came: sender and receiver swap; its ISA13 reuses the request's so
        // the same request always gets the same answer.
        return new X12InterchangeHeader(
            new EdiParty(to.ReceiverQualifier, to.ReceiverId, group is null || group.ApplicationReceiver == to.ReceiverId ? null : group.ApplicationReceiver),
            new EdiParty(to.SenderQualifier, to.SenderId, group is null || group.ApplicationSender == to.SenderId ? null : group.ApplicationSender),
            ControlNumber(to.ControlNumber), now, to.IsTest ? X12Usage.Test : X12Usage.Production);
    }

    /// <summary>
    /// Answers use the request's delimiters, so that every value echoed from it can be written; a request without a
    /// repetition separator gets the first of ^ ! | { that it does not use (it uses three delimiters, so one is free).
    /// </summary>
    private static X12Delimiters ReplyDelimiters(X12Delimiters request)
    {
        if (request.Repetition != X12Delimiters.NoRepetition) return request;
        var repetition = new[] { '^', '!', '|', '{' }.First(c => !request.IsDelimiter(c));
        return request with { Repetition = repetition };
    }

    private static int ControlNumber(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 999_999_999 ? n : 1;

    // ---- the 271 ----

    private string Write271(X12Interchange interchange, IReadOnlyList<ReceivedEligibilityInquiry> inquiries, DateOnly today)
    {
        var now = time.GetLocalNow();
        var w = new X12Writer(ReplyDelimiters(interchange.Delimiters));
        w.BeginInterchange(Reply(interchange, now));
        foreach (var group in interchange.Groups)
        {
            // GS01 HB: eligibility response.
            w.BeginGroup("HB", ControlNumber(group.ControlNumber), Eligibility270Builder.Implementation, now);
            foreach (var set in group.TransactionSets)
            {
                var received = inquiries.Where(i => i.Transaction == set).ToList(); // parsed from this very interchange object
                w.BeginTransaction("271", set.ControlNumber, Eligibility270Builder.Implementation);
                // BHT02 11 response; BHT03 returns the 270's BHT03 so the submitter can match the answer.
                w.Segment("BHT", "0022", "11", received.FirstOrDefault()?.SubmitterReference, Elements.D8(DateOnly.FromDateTime(now.DateTime)),
                    now.ToString("HHmm", CultureInfo.InvariantCulture));
                var hl = 0;
                foreach (var r in received) WritePatient(w, r, today, ref hl);
                w.EndTransaction();
            }
            w.EndGroup();
        }
        w.EndInterchange();
        return w.ToString();
    }

    private static void WritePatient(X12Writer w, ReceivedEligibilityInquiry received, DateOnly today, ref int hl)
    {
        var q = received.Inquiry;

        // 2000A / 2100A information source.
        var source = ++hl;
        var payerMissing = string.IsNullOrWhiteSpace(q.PayerId) || string.IsNullOrWhiteSpace(q.PayerName);
        var unavailable = q.PayerId.Equals("UNAVAIL", StringComparison.OrdinalIgnoreCase);
        var stopAtSource = payerMissing || unavailable;
        w.Segment("HL", N(source), null, "20", stopAtSource ? "0" : "1");
        w.Segment("NM1", "PR", "2", Text(q.PayerName) ?? "UNKNOWN", null, null, null, null, payerMissing ? null : "PI", payerMissing ? null : Text(q.PayerId));
        if (payerMissing)
        {
            // 2100A AAA T4: payer name or identifier missing.
            w.Segment("AAA", "N", null, "T4", "C");
            return;
        }
        if (unavailable)
        {
            // 2100A AAA 42: unable to respond at current time; R resubmission allowed.
            w.Segment("AAA", "Y", null, "42", "R");
            return;
        }

        // 2000B / 2100B information receiver.
        var receiver = ++hl;
        var npiInvalid = !Npi.IsValid(q.ProviderNpi);
        w.Segment("HL", N(receiver), N(source), "21", npiInvalid ? "0" : "1");
        w.Segment("NM1", "1P", q.ProviderFirstName is null ? "2" : "1", Text(q.ProviderName) ?? "UNKNOWN", Text(q.ProviderFirstName), null, null, null,
            npiInvalid ? null : "XX", npiInvalid ? null : q.ProviderNpi);
        if (npiInvalid)
        {
            // 2100B AAA 43: invalid/missing provider identification.
            w.Segment("AAA", "N", null, "43", "C");
            return;
        }

        // 2000C / 2100C subscriber.
        var s = q.Subscriber;
        var dependent = q.Dependent;
        var subscriberReject = SubscriberProblem(q, today);
        var goesToDependent = dependent is not null && subscriberReject is null;
        var subscriber = ++hl;
        w.Segment("HL", N(subscriber), N(receiver), "22", goesToDependent ? "1" : "0");
        // TRN*2 returns the 270's trace at the level it answers: here unless the dependent level follows.
        if (!goesToDependent) Trace(w, received);
        var memberId = Text(s.MemberId);
        w.Segment("NM1", "IL", "1", Text(s.LastName), Text(s.FirstName), Text(s.MiddleName), null, Text(s.Suffix), memberId is null ? null : "MI", memberId);
        var plan = SimulatedPlan.For(q.PayerId, q.PayerName, s.GroupNumber);
        if (subscriberReject is null) w.Segment("REF", "6P", plan.GroupNumber, plan.GroupName);
        if (subscriberReject is { } reject) w.Segment("AAA", reject.ValidRequest ? "Y" : "N", null, reject.Code, "C");
        if (s.BirthDate is { } subscriberBirth) w.Segment("DMG", "D8", Elements.D8(subscriberBirth), Elements.GenderCode(s.Gender));
        if (subscriberReject is not null) return;

        var member = SimulatedMember.For(q, plan);
        if (dependent is null)
        {
            w.Segment("INS", "Y", "18"); // 271 2100C INS: the subscriber is the patient (18 self)
            Benefits(w, q, plan, member, patientIsDependent: false);
            return;
        }

        // 2000D / 2100D dependent, the patient.
        var dep = ++hl;
        w.Segment("HL", N(dep), N(subscriber), "23", "0");
        Trace(w, received);
        w.Segment("NM1", "03", "1", Text(dependent.LastName), Text(dependent.FirstName), Text(dependent.MiddleName), null, Text(dependent.Suffix));
        var dependentReject = DependentProblem(q, dependent);
        if (dependentReject is { } dr) w.Segment("AAA", "Y", null, dr, "C");
        if (dependent.BirthDate != default) w.Segment("DMG", "D8", Elements.D8(dependent.BirthDate), Elements.GenderCode(dependent.Gender));
        if (dependentReject is not null) return;
        Benefits(w, q, plan, member, patientIsDependent: true);
    }

    private static void Trace(X12Writer w, ReceivedEligibilityInquiry received)
    {
        if (received.Trace is { } t) w.Segment("TRN", "2", t.Number, t.AssigningEntityId, t.AdditionalId);
    }

    private static void Benefits(X12Writer w, EligibilityInquiry q, SimulatedPlan plan, SimulatedMember member, bool patientIsDependent)
    {
        var service = q.ServiceDate;
        var inactive = q.Subscriber.MemberId.StartsWith("INACT", StringComparison.OrdinalIgnoreCase);
        if (inactive)
        {
            // Coverage ended at the end of the month before the service date.
            var end = new DateOnly(service.Year, service.Month, 1).AddDays(-1);
            w.Segment("DTP", "346", "D8", Elements.D8(new DateOnly(end.Year, 1, 1)));
            w.Segment("DTP", "347", "D8", Elements.D8(end));
            w.Segment("EB", "6", null, "30", plan.InsuranceType, plan.Name);
            w.Segment("MSG", "COVERAGE TERMINATED " + Elements.D8(end));
            return;
        }

        // 2100C/2100D DTP: plan begin (346) this calendar year, eligibility begin (356) when the member joined.
        w.Segment("DTP", "346", "D8", Elements.D8(new DateOnly(service.Year, 1, 1)));
        w.Segment("DTP", "356", "D8", Elements.D8(member.EligibilityBegin));

        var ins = plan.InsuranceType;
        // 2110 EB: plan-level active coverage, then what the plan covers.
        w.Segment("EB", "1", patientIsDependent ? "FAM" : "IND", "30", ins, plan.Name);
        w.Segment("EB", "1", null, w.Repeat(CoveredServices));
        // EB*B co-pay per visit (EB06 27); EB12 Y in network, N out of network.
        w.Segment("EB", "B", "IND", "98", ins, null, "27", Amount(plan.OfficeCopay), null, null, null, null, "Y");
        w.Segment("MSG", "COPAY APPLIES TO PRIMARY CARE OFFICE VISITS");
        w.Segment("EB", "B", "IND", "98", ins, null, "27", Amount(plan.OfficeCopay * 2), null, null, null, null, "N");
        w.Segment("EB", "B", "IND", "UC", ins, null, "27", Amount(plan.UrgentCareCopay), null, null, null, null, "Y");
        w.Segment("EB", "B", "IND", "86", ins, null, "27", Amount(plan.EmergencyCopay), null, null, null, null, "Y");
        w.Segment("MSG", "EMERGENCY COPAY WAIVED IF ADMITTED");
        // EB*A co-insurance: EB08 is a decimal fraction.
        w.Segment("EB", "A", "IND", "30", ins, null, null, null, X12Numbers.Decimal(plan.Coinsurance), null, null, null, "Y");
        w.Segment("EB", "A", "IND", "30", ins, null, null, null, X12Numbers.Decimal(plan.Coinsurance + 0.2m), null, null, null, "N");
        // EB*C deductible: EB06 23 calendar year, 29 remaining.
        w.Segment("EB", "C", "IND", "30", ins, null, "23", Amount(plan.Deductible), null, null, null, null, "Y");
        w.Segment("EB", "C", "IND", "30", ins, null, "29", Amount(member.DeductibleRemaining), null, null, null, null, "Y");
        w.Segment("EB", "C", "FAM", "30", ins, null, "23", Amount(plan.Deductible * 2), null, null, null, null, "Y");
        w.Segment("EB", "C", "FAM", "30", ins, null, "29", Amount(member.FamilyDeductibleRemaining), null, null, null, null, "Y");
        w.Segment("EB", "C", "IND", "30", ins, null, "23", Amount(plan.Deductible * 2), null, null, null, null, "N");
        // EB*G out of pocket (stop loss).
        w.Segment("EB", "G", "IND", "30", ins, null, "23", Amount(plan.OutOfPocket), null, null, null, null, "Y");
        w.Segment("EB", "G", "IND", "30", ins, null, "29", Amount(member.OutOfPocketRemaining), null, null, null, null, "Y");
        w.Segment("EB", "G", "FAM", "30", ins, null, "23", Amount(plan.OutOfPocket * 2), null, null, null, null, "Y");
        if (ins == "HM")
        {
            // EB*L primary care provider, named in 2120 (P3): an HMO assigns one; here the inquiring provider.
            w.Segment("EB", "L");
            w.Segment("LS", "2120");
            w.Segment("NM1", "P3", q.ProviderFirstName is null ? "2" : "1", Text(q.ProviderName), Text(q.ProviderFirstName), null, null, null, "XX", q.ProviderNpi);
            w.Segment("LE", "2120");
        }
        // Each other service type asked gets its own answer: covered (EB*1) or not (EB*I).
        foreach (var code in q.EffectiveServiceTypeCodes.Distinct().Where(c => c != "30" && EligibilityCodes.IsServiceType(c) && !CoveredServices.Contains(c)))
            w.Segment("EB", NotCovered.Contains(code) ? "I" : "1", null, code, ins);
    }

    /// <summary>EB03 of the "what the plan covers" answer.</summary>
    private static readonly string[] CoveredServices = ["1", "33", "47", "48", "50", "86", "88", "98", "AL", "MH", "UC"];

    /// <summary>Dental, eyewear, in-vitro fertilization and massage are outside this simulated medical plan.</summary>
    private static readonly HashSet<string> NotCovered = ["23", "24", "25", "26", "27", "28", "35", "36", "37", "38", "39", "40", "41", "AM", "AO", "CP", "61", "BE"];

    private sealed record Reject(string Code, bool ValidRequest);

    private static Reject? SubscriberProblem(EligibilityInquiry q, DateOnly today)
    {
        var s = q.Subscriber;
        var id = s.MemberId.Trim();
        // 72 invalid/missing subscriber id; 75 subscriber not found.
        if (id.Length is < 2 or > 30 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || id.StartsWith("ERR", StringComparison.OrdinalIgnoreCase))
            return new Reject("72", true);
        if (id.StartsWith("NOTFOUND", StringComparison.OrdinalIgnoreCase)) return new Reject("75", true);
        // 63 date of service in future, 62 not within the allowable inquiry period.
        if (q.ServiceDate > today.AddYears(1)) return new Reject("63", true);
        if (q.ServiceDate < today.AddYears(-2)) return new Reject("62", true);
        if (q.Dependent is null)
        {
            // The primary search option needs both names and the birth date of the patient.
            if (string.IsNullOrWhiteSpace(s.LastName) || string.IsNullOrWhiteSpace(s.FirstName)) return new Reject("73", true);
            if (s.BirthDate is null) return new Reject("58", true);
        }
        if (s.BirthDate is { } b && b > q.ServiceDate) return new Reject("60", true);
        return null;
    }

    private static string? DependentProblem(EligibilityInquiry q, EligibilityDependent d)
    {
        if (string.IsNullOrWhiteSpace(d.LastName) || string.IsNullOrWhiteSpace(d.FirstName)) return "65";
        if (d.BirthDate == default) return "58";
        if (d.BirthDate > q.ServiceDate) return "60";
        return null;
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
    private static string Amount(decimal amount) => X12Numbers.Decimal(amount);

    /// <summary>Echoed text as the simulator writes it back: trimmed, printable ASCII (the answer uses the request's
    /// delimiters, so a value read from the request cannot hold one).</summary>
    private static string? Text(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var clean = new string(value.Trim().Where(c => c is >= ' ' and <= '~').ToArray());
        return clean.Length == 0 ? null : clean;
    }

    /// <summary>The plan a payer id (and group) stands for in the simulation.</summary>
    private sealed record SimulatedPlan(string Name, string InsuranceType, string GroupNumber, string GroupName, decimal OfficeCopay,
        decimal UrgentCareCopay, decimal EmergencyCopay, decimal Coinsurance, decimal Deductible, decimal OutOfPocket)
    {
        public static SimulatedPlan For(string payerId, string payerName, string? groupNumber)
        {
            var h = Hash(payerId.Trim().ToUpperInvariant() + "|" + (groupNumber?.Trim().ToUpperInvariant() ?? ""));
            string[] types = ["HM", "PR", "PS", "EP"];
            string[] typeNames = ["HMO", "PPO", "POS", "EPO"];
            string[] metals = ["BRONZE", "SILVER", "GOLD", "PLATINUM"];
            var type = (int)(h % 4);
            var metal = (int)(h / 4 % 4);
            var office = new[] { 15m, 20m, 25m, 30m, 35m, 40m }[h / 16 % 6];
            var payer = Text(payerName)?.ToUpperInvariant() ?? "PAYER";
            var name = $"{payer} {metals[metal]} {typeNames[type]}";
            if (name.Length > 50) name = name[..50]; // EB05 is AN 1/50
            var group = Text(groupNumber) ?? "G" + (h % 900_000 + 100_000).ToString(CultureInfo.InvariantCulture);
            return new SimulatedPlan(name, types[type], group, "SIMULATED EMPLOYER GROUP",
                office,
                office + 25m,
                new[] { 100m, 150m, 200m, 250m }[h / 96 % 4],
                new[] { 0.1m, 0.2m, 0.3m }[h / 384 % 3],
                new[] { 500m, 1000m, 1500m, 2000m, 2500m, 3000m }[h / 1152 % 6],
                new[] { 3000m, 4000m, 5000m, 6000m, 7500m }[h / 6912 % 5]);
        }
    }

    /// <summary>What one member has used of the plan, derived from who they are.</summary>
    private sealed record SimulatedMember(DateOnly EligibilityBegin, decimal DeductibleRemaining, decimal FamilyDeductibleRemaining, decimal OutOfPocketRemaining)
    {
        public static SimulatedMember For(EligibilityInquiry q, SimulatedPlan plan)
        {
            var who = q.Subscriber.MemberId.Trim().ToUpperInvariant() + "|" + q.Dependent?.FirstName.Trim().ToUpperInvariant();
            var h = Hash(who);
            // Met so far: 0 %, 10 % … 100 % of the deductible, in tens of dollars.
            var met = Math.Round(plan.Deductible * (h % 11) / 10m / 10m) * 10m;
            var familyMet = met + Math.Round(plan.Deductible * (h / 11 % 6) / 10m / 10m) * 10m;
            var outOfPocketUsed = met + (h / 66 % 8) * 50m;
            return new SimulatedMember(
                new DateOnly(q.ServiceDate.Year - (int)(h / 528 % 4), 1, 1),
                plan.Deductible - met,
                Math.Max(0m, plan.Deductible * 2 - familyMet),
                Math.Max(0m, plan.OutOfPocket - outOfPocketUsed));
        }
    }

    /// <summary>FNV-1a (32-bit): stable across processes and runtimes, unlike string.GetHashCode.</summary>
    private static uint Hash(string text)
    {
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 16777619u;
        }
        return h;
    }
}
