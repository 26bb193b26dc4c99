using Meridian.X12.Acknowledgments;
using Meridian.X12.Clearinghouse;

namespace Meridian.X12.Eligibility;

public enum EligibilityCheckOutcome
{
    /// <summary>A 271 came back and was read: see <see cref="EligibilityCheckResult.Response"/> for active, inactive or AAA-rejected.</summary>
    Answered,

    /// <summary>The clearinghouse answered with a TA1 or 999 instead of a 271 (the request was refused at syntax level).</summary>
    Acknowledged,

    /// <summary>The request never got an answer: timeout, connection, HTTP or envelope error (see the exchange's error).</summary>
    TransportFailed,

    /// <summary>Something came back but it is not a well-formed 271 for this inquiry.</summary>
    InvalidResponse,
}

/// <summary>The outcome of one eligibility check, with everything needed to store and show it.</summary>
/// <param name="Problem">A sentence for the screen and the log when the outcome is not <see cref="EligibilityCheckOutcome.Answered"/>.</param>
public sealed record EligibilityCheckResult(
    EligibilityCheckOutcome Outcome,
    ClearinghouseExchange Exchange,
    EligibilityResponse? Response,
    X12Acknowledgment? Acknowledgment,
    string? Problem);

/// <summary>
/// One eligibility check end to end: build the 270, send it through the clearinghouse, read the answer and make sure it
/// answers this inquiry (the 271 must echo the trace number). Invalid inquiries throw ValidationFailedException before
/// anything is sent; everything after sending is reported in the result, never thrown (except caller cancellation).
/// </summary>
public sealed class EligibilityChecker(IClearinghouse clearinghouse, TimeProvider time)
{
    /// <param name="interchangeControlNumber">ISA13 for the 270; give each check its own (e.g. from a database sequence).</param>
    public async Task<EligibilityCheckResult> CheckAsync(EligibilityInquiry inquiry, int interchangeControlNumber, CancellationToken ct,
        X12Usage usage = X12Usage.Production)
    {
        var request = new Eligibility270Builder(time).Build(inquiry, interchangeControlNumber, usage);
        var exchange = await clearinghouse.SendEligibilityAsync(request, ct);
        if (exchange.Error is not null || exchange.Response is null)
            return new EligibilityCheckResult(EligibilityCheckOutcome.TransportFailed, exchange, null, null,
                exchange.Error?.Message ?? $"{clearinghouse.Name} returned no answer.");
        try
        {
            var response = Eligibility271Parser.Parse(exchange.Response);
            var traces = response.Traces.Where(t => t.IsEchoOfInquiry).ToList();
            // 271 2000C/2000D TRN01 = 2 returns the 270's trace; an answer at the patient level must carry ours.
            if (response.Subscriber is not null && traces.Count > 0 && traces.All(t => t.Number != inquiry.TraceNumber.Trim()))
                return new EligibilityCheckResult(EligibilityCheckOutcome.InvalidResponse, exchange, null, null,
                    $"The 271 answers trace {string.Join(", ", traces.Select(t => t.Number))}, not this inquiry's trace {inquiry.TraceNumber}.");
            return new EligibilityCheckResult(EligibilityCheckOutcome.Answered, exchange, response, null, null);
        }
        catch (X12AcknowledgmentException e)
        {
            return new EligibilityCheckResult(EligibilityCheckOutcome.Acknowledged, exchange, null, e.Acknowledgment,
                $"{clearinghouse.Name} did not answer with eligibility: {e.Acknowledgment.Summary}");
        }
        catch (X12FormatException e)
        {
            return new EligibilityCheckResult(EligibilityCheckOutcome.InvalidResponse, exchange, null, null,
                $"{clearinghouse.Name} returned a malformed 271: {e.Message}");
        }
    }
}
