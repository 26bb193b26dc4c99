using System.Globalization;
using Meridian.SharedKernel.Errors;

namespace Meridian.X12.Eligibility;

/// <summary>
/// Writes a 270 Health Care Eligibility Benefit Inquiry (005010X279A1) for one patient: 2000A information source (payer),
/// 2000B information receiver (provider), 2000C subscriber and, when the patient is a dependent, 2000D dependent.
/// Invalid input is refused with a <see cref="ValidationFailedException"/> naming every field at fault; nothing is written.
/// </summary>
public sealed class Eligibility270Builder(TimeProvider time)
{
    public const string Implementation = "005010X279A1";

    /// <summary>ST02 of the single transaction set; unique within its group, which is all X12 asks.</summary>
    public const string TransactionControlNumber = "0001";

    /// <summary>
    /// Throws the ValidationFailedException <see cref="Build"/> would, without building: lets a caller refuse an inquiry
    /// before it records that one was sent.
    /// </summary>
    public static void ThrowIfInvalid(EligibilityInquiry inquiry) => Validate(inquiry, interchangeControlNumber: 1);

    /// <param name="interchangeControlNumber">ISA13 (also GS06): unique per sender for the receiver's duplicate checks.</param>
    public string Build(EligibilityInquiry inquiry, int interchangeControlNumber, X12Usage usage = X12Usage.Production)
    {
        ArgumentNullException.ThrowIfNull(inquiry);
        var v = Validate(inquiry, interchangeControlNumber);
        var now = time.GetLocalNow();

        var w = new X12Writer();
        w.BeginInterchange(new X12InterchangeHeader(inquiry.Submitter, inquiry.Receiver, interchangeControlNumber, now, usage));
        w.BeginGroup("HS", interchangeControlNumber, Implementation); // GS01 HS: eligibility inquiry
        w.BeginTransaction("270", TransactionControlNumber, Implementation);
        // BHT01 0022 information source/receiver/subscriber/dependent hierarchy; BHT02 13 request; BHT03 the submitter's
        // reference, which the 271 echoes in its BHT03.
        w.Segment("BHT", "0022", "13", v.Trace, now.ToString("yyyyMMdd", CultureInfo.InvariantCulture), now.ToString("HHmm", CultureInfo.InvariantCulture));

        // 2000A information source: the payer. HL04 1: a receiver level follows.
        w.Segment("HL", "1", null, "20", "1");
        // 270 2100A NM1: PR payer, 2 non-person; NM108 PI payor identification.
        w.Segment("NM1", "PR", "2", v.PayerName, null, null, null, null, "PI", v.PayerId);

        // 2000B information receiver: the provider asking.
        w.Segment("HL", "2", "1", "21", "1");
        // 270 2100B NM1: 1P provider; NM102 1 person / 2 organization; NM108 XX the NPI (required for HIPAA covered providers).
        w.Segment("NM1", "1P", v.ProviderFirstName is null ? "2" : "1", v.ProviderName, v.ProviderFirstName, null, null, null, "XX", inquiry.ProviderNpi);

        var hasDependent = v.Dependent is not null;
        // 2000C subscriber. HL04: 1 when a dependent level follows.
        w.Segment("HL", "3", "2", "22", hasDependent ? "1" : "0");
        // 270 2000C TRN: the trace goes with the patient's level (the subscriber here only when the subscriber is the patient).
        if (!hasDependent) w.Segment("TRN", "1", v.Trace, v.TraceAssigner);
        // 270 2100C NM109: subscriber primary identifier (NM108 MI member identification number).
        w.Segment("NM1", "IL", "1", v.Subscriber.LastName, v.Subscriber.FirstName, v.Subscriber.MiddleName, null, v.Subscriber.Suffix, "MI", v.Subscriber.MemberId);
        // 270 2100C REF*6P: group number, an alternate identifier some payers need to find the member.
        if (v.Subscriber.GroupNumber is not null) w.Segment("REF", "6P", v.Subscriber.GroupNumber);
        // 270 2100C DMG: D8 birth date and gender, part of the primary search option.
        if (v.Subscriber.BirthDate is { } subscriberBirth) w.Segment("DMG", "D8", Elements.D8(subscriberBirth), Elements.GenderCode(v.Subscriber.Gender));
        if (!hasDependent)
        {
            // 270 2100C DTP*291: the plan date the inquiry is about (the date of service).
            w.Segment("DTP", "291", "D8", Elements.D8(inquiry.ServiceDate));
            // 270 2110C EQ: one loop per service type; the subscriber is the patient.
            foreach (var code in v.ServiceTypes) w.Segment("EQ", code);
        }
        else
        {
            var d = v.Dependent!;
            // 2000D dependent, the patient. HL04 0: the lowest level.
            w.Segment("HL", "4", "3", "23", "0");
            w.Segment("TRN", "1", v.Trace, v.TraceAssigner);
            // 270 2100D NM1: 03 dependent, 1 person; no identifier (the dependent is found through the subscriber).
            w.Segment("NM1", "03", "1", d.LastName, d.FirstName, d.MiddleName, null, d.Suffix);
            w.Segment("DMG", "D8", Elements.D8(d.BirthDate!.Value), Elements.GenderCode(d.Gender));
            // No 2100D INS: it is for alternate search options only; with the primary search option (name and birth date
            // here, member id in 2100C) sending it is prohibited (X12 RFI 922).
            w.Segment("DTP", "291", "D8", Elements.D8(inquiry.ServiceDate));
            // 270 2110D EQ: required when the dependent is the patient.
            foreach (var code in v.ServiceTypes) w.Segment("EQ", code);
        }
        w.EndTransaction();
        w.EndGroup();
        w.EndInterchange();
        return w.ToString();
    }

    private sealed record Person(string? LastName, string? FirstName, string? MiddleName, string? Suffix, DateOnly? BirthDate, X12Gender? Gender, string? MemberId, string? GroupNumber);

    private sealed record Valid(string Trace, string TraceAssigner, string PayerName, string PayerId, string ProviderName, string? ProviderFirstName,
        Person Subscriber, Person? Dependent, IReadOnlyList<string> ServiceTypes);

    private static Valid Validate(EligibilityInquiry q, int interchangeControlNumber)
    {
        var d = X12Delimiters.Default;
        var v = new Validator();

        string Text(string field, string? value, int min, int max, bool required, bool name = false)
        {
            var text = name ? X12Text.Name(value) : value?.Trim();
            if (string.IsNullOrEmpty(text))
            {
                if (required) v.Add(field, "is required.");
                return "";
            }
            if (text.Length < min || text.Length > max) v.Add(field, min == max ? $"must be {max} characters." : $"must be {min} to {max} characters.");
            if (X12Text.Problem(text, d) is { } problem) v.Add(field, problem + ".");
            return text;
        }

        if (interchangeControlNumber is < 1 or > 999_999_999) v.Add("InterchangeControlNumber", "must be 1 to 999999999 (ISA13 is nine digits).");
        // TRN02 AN 1/50.
        var trace = Text("TraceNumber", q.TraceNumber, 1, 50, required: true);
        Party("Submitter", q.Submitter);
        Party("Receiver", q.Receiver);
        var payerName = Text("PayerName", q.PayerName, 1, 60, required: true, name: true);
        var payerId = Text("PayerId", q.PayerId, 2, 80, required: true);
        var providerName = Text("ProviderName", q.ProviderName, 1, 60, required: true, name: true);
        var providerFirst = Text("ProviderFirstName", q.ProviderFirstName, 1, 35, required: false, name: true);
        if (!Npi.IsValid(q.ProviderNpi))
            v.Add("ProviderNpi", "must be a valid NPI: ten digits with a correct check digit (Luhn over the prefix 80840).");

        var patientIsSubscriber = q.Dependent is null;
        var s = q.Subscriber;
        Person subscriber;
        if (s is null)
        {
            v.Add("Subscriber", "is required.");
            subscriber = new Person(null, null, null, null, null, null, null, null);
        }
        else
        {
            // When the subscriber is the patient the primary search option needs member id, both names and birth date;
            // for a dependent inquiry the subscriber is found by member id (the names help when present).
            subscriber = new Person(
                Text("Subscriber.LastName", s.LastName, 1, 60, patientIsSubscriber, name: true),
                Text("Subscriber.FirstName", s.FirstName, 1, 35, patientIsSubscriber, name: true),
                Text("Subscriber.MiddleName", s.MiddleName, 1, 25, false, name: true),
                Text("Subscriber.Suffix", s.Suffix, 1, 10, false, name: true),
                s.BirthDate, s.Gender,
                Text("Subscriber.MemberId", s.MemberId, 2, 80, required: true),
                Text("Subscriber.GroupNumber", s.GroupNumber, 1, 50, required: false));
            if (patientIsSubscriber && s.BirthDate is null) v.Add("Subscriber.BirthDate", "is required when the subscriber is the patient.");
            BirthDate("Subscriber.BirthDate", s.BirthDate);
            Gender("Subscriber.Gender", s.Gender);
        }

        Person? dependent = null;
        if (q.Dependent is { } dep)
        {
            dependent = new Person(
                Text("Dependent.LastName", dep.LastName, 1, 60, true, name: true),
                Text("Dependent.FirstName", dep.FirstName, 1, 35, true, name: true),
                Text("Dependent.MiddleName", dep.MiddleName, 1, 25, false, name: true),
                Text("Dependent.Suffix", dep.Suffix, 1, 10, false, name: true),
                dep.BirthDate, dep.Gender, null, null);
            BirthDate("Dependent.BirthDate", dep.BirthDate);
            Gender("Dependent.Gender", dep.Gender);
        }

        if (q.ServiceDate == default) v.Add("ServiceDate", "is required.");
        var serviceTypes = q.EffectiveServiceTypeCodes.Select(c => c?.Trim() ?? "").ToList();
        // 2110C/2110D repeat at most 99 times.
        if (serviceTypes.Count > 99) v.Add("ServiceTypeCodes", "must hold at most 99 service types.");
        foreach (var code in serviceTypes.Where(c => !EligibilityCodes.IsServiceType(c)).Distinct())
            v.Add("ServiceTypeCodes", $"\"{code}\" is not an X12 service type code (e.g. 30 health benefit plan coverage, 98 office visit).");

        var assigner = q.TraceAssigningEntityId?.Trim();
        if (assigner is not null)
            Text("TraceAssigningEntityId", assigner, 10, 10, required: true);
        else
        {
            // TRN03 is AN 10/10. The default marks a user-assigned identifier ("9", as the 4010 guide required) followed by the
            // submitter id, which identifies who assigned the trace.
            var id = new string((q.Submitter?.Id ?? "").Where(char.IsAsciiLetterOrDigit).ToArray()).ToUpperInvariant();
            assigner = "9" + (id.Length >= 9 ? id[..9] : id.PadLeft(9, '0'));
        }
        v.ThrowIfInvalid();
        return new Valid(trace, assigner, payerName, payerId, providerName, providerFirst.Length == 0 ? null : providerFirst,
            Empty(subscriber), dependent is null ? null : Empty(dependent), serviceTypes);

        void Party(string field, EdiParty? party)
        {
            if (party is null)
            {
                v.Add(field, "is required.");
                return;
            }
            Text(field + ".Qualifier", party.Qualifier, 2, 2, required: true);
            Text(field + ".Id", party.Id, 1, 15, required: true);
            Text(field + ".ApplicationCode", party.ApplicationCode, 2, 15, required: false);
        }

        void BirthDate(string field, DateOnly? birth)
        {
            if (birth is not { } b) return;
            if (b.Year < 1900) v.Add(field, "must be in 1900 or later.");
            if (q.ServiceDate != default && b > q.ServiceDate) v.Add(field, "must not be after the service date.");
        }

        void Gender(string field, X12Gender? gender)
        {
            // 270 DMG03 allows F and M only; leave it out when unknown.
            if (gender == X12Gender.Unknown) v.Add(field, "must be Female or Male, or left out (a 270 cannot send unknown).");
        }

        static Person Empty(Person p) => p with
        {
            LastName = Null(p.LastName), FirstName = Null(p.FirstName), MiddleName = Null(p.MiddleName), Suffix = Null(p.Suffix),
            MemberId = Null(p.MemberId), GroupNumber = Null(p.GroupNumber),
        };

        static string? Null(string? s) => string.IsNullOrEmpty(s) ? null : s;
    }
}
