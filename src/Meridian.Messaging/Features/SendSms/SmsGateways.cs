using System.Text.RegularExpressions;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.Outbox;
using Meridian.SharedKernel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.SendSms;

/// <summary>
/// The SMS gateway simulator, for demo mode and tests: texts are "sent" into the practice database (table
/// messaging.simulated_sms) and shown on the SMS simulator page, where staff can answer as the patient. It behaves like a
/// gateway that de-duplicates on the client reference: the same reference is one text however often it is submitted.
/// Any valid E.164 number is reachable except those matching Sms:Simulator:UnreachablePattern (permanent failure) and
/// Sms:Simulator:TransientFailurePattern (a gateway error every time, to show retries). Delivery is reported at once.
/// </summary>
internal sealed class SmsGatewaySimulator(MessagingDbContext db, IOptions<MessagingOptions> options, TimeProvider time) : ISmsGateway
{
    public async Task<SmsSendResult> SendAsync(string to, string body, string clientReference, CancellationToken ct)
    {
        if (!PhoneNumber.TryNormalize(to, out var number) || number != to)
            return new SmsSendResult(SmsSendStatus.PermanentFailure, Error: $"Invalid destination number '{to}' (E.164 required).");
        var simulator = options.Value.Sms.Simulator;
        if (Regex.IsMatch(number, simulator.UnreachablePattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
            return new SmsSendResult(SmsSendStatus.PermanentFailure, Error: "Simulated gateway: the number is unreachable (not a mobile number).");
        if (simulator.TransientFailurePattern is { Length: > 0 } transient && Regex.IsMatch(number, transient, RegexOptions.None, TimeSpan.FromSeconds(1)))
            return new SmsSendResult(SmsSendStatus.TransientFailure, Error: "Simulated gateway: 503 Service Unavailable.");

        var now = MessageOutbox.Now(time);
        var existing = await db.SimulatedTexts.FirstOrDefaultAsync(t => t.ClientReference == clientReference, ct);
        if (existing is null)
        {
            existing = new SimulatedSms
            {
                Id = TypedIds.NewGuid(time), ClientReference = clientReference, Recipient = number, Body = body,
                SentAt = now, DeliveredAt = now, Submissions = 1,
            };
            db.SimulatedTexts.Add(existing);
        }
        else existing.Submissions++;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return new SmsSendResult(SmsSendStatus.Delivered, "SIM-" + existing.Id.ToString("N")[..12].ToUpperInvariant(),
            DeliveredAt: Message.Utc(existing.DeliveredAt ?? now));
    }
}

/// <summary>
/// Stands in when no SMS gateway is configured outside demo mode: every text fails permanently with a message that says
/// why, so that nothing pretends a text went out.
/// </summary>
internal sealed class UnconfiguredSmsGateway : ISmsGateway
{
    public Task<SmsSendResult> SendAsync(string to, string body, string clientReference, CancellationToken ct) =>
        Task.FromResult(new SmsSendResult(SmsSendStatus.PermanentFailure,
            Error: "No SMS gateway is configured (Meridian:Messaging:Sms:Gateway); the text was not sent."));
}
