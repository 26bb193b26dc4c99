using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.Outbox;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.ReceiveReplies;

public sealed record InboundMessageView(Guid Id, MessageChannel Channel, string From, string Body, DateTimeOffset ReceivedAt, string Outcome,
    MessageId? InReplyTo, string? Purpose, PatientId? Patient, MessageId? Reply, string? Detail);

/// <summary>
/// What happens to a text a patient sends: the same pipeline for a real gateway's webhook and for the simulator's form.
/// Keywords first (CTIA: STOP and its synonyms opt the number out, START opts it back in, HELP answers with who we are);
/// otherwise the reply is matched to the latest message Meridian sent to that number within the match window and handed to
/// the handler for that message's purpose, whose answer goes back as an SMS through the outbox. A text from a number
/// Meridian has not messaged is recorded as unmatched and otherwise ignored: no answer, nothing else changes.
/// </summary>
internal sealed class InboundPipeline(
    MessagingDbContext db, DatabaseOptions database, MessageOutbox outbox, IEnumerable<IInboundMessageHandler> handlers,
    IOptions<MessagingOptions> options, IAuditTrail audit, TimeProvider time, ILogger<InboundPipeline> logger)
{
    public async Task<InboundMessageView> ReceiveSmsAsync(string? from, string? body, CancellationToken ct = default)
    {
        var v = new Validator();
        string? number = null;
        if (string.IsNullOrWhiteSpace(from)) v.Add("from", "is required.");
        else if (!PhoneNumber.TryNormalize(from, out number)) v.Add("from", "is not a valid phone number.");
        if (string.IsNullOrWhiteSpace(body)) v.Add("body", "is required.");
        else v.MaxLength("body", body, Limits.SmsBody);
        v.ThrowIfInvalid();
        var text = body!.Trim();
        var now = MessageOutbox.Now(time);
        var window = now - options.Value.ReplyMatchWindow;

        // The latest message (not one of this module's own answers) that went to this number within the window.
        var matched = await db.Messages.AsNoTracking()
            .Where(m => m.Channel == MessageChannel.Sms && m.Recipient == number && m.SentAt >= window
                        && (m.State == MessageState.Sent || m.State == MessageState.Delivered) && !m.Purpose.StartsWith(SystemPurposes.Prefix))
            .OrderByDescending(m => m.SentAt).FirstOrDefaultAsync(ct);

        var inbound = new InboundMessage
        {
            Id = TypedIds.NewGuid(time), Channel = MessageChannel.Sms, Sender = number!, Body = text, ReceivedAt = now,
            MatchedMessageId = matched?.Id, PatientId = matched?.PatientId, Outcome = InboundOutcome.Received,
        };
        var keyword = Keywords.Classify(text);
        if (keyword != Keywords.Kind.None) return await KeywordAsync(inbound, keyword, matched, ct);

        if (matched is null)
        {
            logger.LogInformation("SMS from unknown number {Number} ignored (no message sent to it in the last {Days} days)",
                PhoneNumber.Mask(number!), options.Value.ReplyMatchWindow.TotalDays);
            return await RecordAsync(inbound, InboundOutcome.Unmatched, $"No message was sent to this number in the last {options.Value.ReplyMatchWindow.TotalDays:0} days; ignored", ct);
        }
        var handler = handlers.FirstOrDefault(h => h.Purpose == matched.Purpose);
        if (handler is null)
        {
            logger.LogInformation("SMS reply to message {Id} ignored: no handler takes replies for purpose {Purpose}", matched.Id, matched.Purpose);
            return await RecordAsync(inbound, InboundOutcome.Ignored, $"No handler takes replies to '{matched.Purpose}' messages", ct);
        }

        // Stored before the handler runs, so that a reply whose handling fails or is interrupted is still on record.
        await RecordAsync(inbound, InboundOutcome.Received, $"Passed to the '{matched.Purpose}' handler", ct);
        string? answer;
        InboundOutcome outcome;
        string detail;
        try
        {
            answer = await handler.HandleAsync(new InboundReply(MessageChannel.Sms, number!, text, Message.Utc(now), matched.ToView()), ct);
            outcome = InboundOutcome.Handled;
            detail = $"Handled by the '{matched.Purpose}' handler" + (answer is null ? "; no answer" : "");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "The '{Purpose}' handler failed on a reply to message {Id}", matched.Purpose, matched.Id);
            answer = null;
            outcome = InboundOutcome.Failed;
            detail = $"The '{matched.Purpose}' handler failed: {e.Message}";
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.Inbound.FirstAsync(i => i.Id == inbound.Id, ct);
        row.Outcome = outcome;
        row.Detail = Limits.Trim(detail);
        if (!string.IsNullOrWhiteSpace(answer))
            row.ReplyMessageId = (await AnswerAsync(row, matched, SystemPurposes.Reply, answer, tx.GetDbTransaction(), ct)).Value;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return View(row, matched.Purpose);
    }

    private async Task<InboundMessageView> KeywordAsync(InboundMessage inbound, Keywords.Kind keyword, Message? matched, CancellationToken ct)
    {
        var practice = options.Value.PracticeName;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var dbTx = tx.GetDbTransaction();
        var optOutTable = ModuleDatabase.QualifiedTable(database.Provider, MessagingDbContext.Schema, "opt_out");
        string? answer;
        string purpose;
        var wasOptedOut = false;
        switch (keyword)
        {
            case Keywords.Kind.OptOut:
                // Honoured whoever sends it, even a number Meridian has not messaged: not texting someone who asked not to be
                // texted is always right. ON CONFLICT: a second STOP keeps the first opt-out.
                await RawSql.InsertIgnoringConflictAsync(db, optOutTable, "channel, address",
                [
                    ("id", TypedIds.NewGuid(time)), ("channel", MessageChannel.Sms.ToString()), ("address", inbound.Sender),
                    ("patient_id", inbound.PatientId), ("source", $"{inbound.Body.ToUpperInvariant()} reply"), ("created_at", inbound.ReceivedAt),
                ], ct);
                inbound.Outcome = InboundOutcome.OptOut;
                inbound.Detail = "Opted out of SMS";
                purpose = SystemPurposes.OptOutConfirmation;
                answer = $"{practice}: You are unsubscribed and will receive no more texts from us. Reply START to resubscribe.";
                break;
            case Keywords.Kind.OptIn:
                wasOptedOut = await db.OptOuts.Where(o => o.Channel == MessageChannel.Sms && o.Address == inbound.Sender).ExecuteDeleteAsync(ct) > 0;
                inbound.Outcome = InboundOutcome.OptIn;
                inbound.Detail = wasOptedOut ? "Opted back in to SMS" : "START from a number that had not opted out";
                purpose = SystemPurposes.OptInConfirmation;
                answer = $"{practice}: You are subscribed to texts about your care again. Reply HELP for help, STOP to unsubscribe.";
                break;
            default:
                inbound.Outcome = InboundOutcome.Help;
                inbound.Detail = "Answered HELP";
                purpose = SystemPurposes.Help;
                var phone = options.Value.PracticePhone is { Length: > 0 } p ? $" Call {p} for help." : "";
                answer = $"{practice}: texts about your appointments and care.{phone} Msg&data rates may apply. Reply STOP to unsubscribe.";
                break;
        }
        // Answered only to a number Meridian has texted (or that had opted out): an unknown sender gets nothing back.
        if (matched is not null || wasOptedOut)
            inbound.ReplyMessageId = (await AnswerAsync(inbound, matched, purpose, answer, dbTx, ct)).Value;
        else inbound.Detail += "; unknown number, not answered";
        db.Inbound.Add(inbound);
        await db.SaveChangesAsync(ct);
        await AuditAsync(inbound, matched, dbTx, ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("SMS keyword {Keyword} from {Number}: {Outcome}", keyword, PhoneNumber.Mask(inbound.Sender), inbound.Detail);
        return View(inbound, matched?.Purpose);
    }

    private Task<MessageId> AnswerAsync(InboundMessage inbound, Message? matched, string purpose, string text, System.Data.Common.DbTransaction tx, CancellationToken ct) =>
        outbox.EnqueueAsync(new OutboundMessage(
                MessageChannel.Sms, inbound.Sender, null, text.Length > Limits.SmsBody ? text[..Limits.SmsBody] : text, purpose,
                CorrelationKey: $"inbound:{inbound.Id:D}:answer",
                // Keyword answers name no patient: they go out whatever the patient's consent settings (the patient just texted us).
                Patient: purpose == SystemPurposes.Reply && matched?.PatientId is { } p ? new PatientId(p) : null,
                SendAfter: Message.Utc(inbound.ReceivedAt), RecipientTimeZone: matched?.TimeZone,
                // An answer is only useful soon after the text it answers.
                ExpiresAt: Message.Utc(inbound.ReceivedAt).AddDays(1),
                Reference: matched?.Reference),
            tx, allowSystemPurpose: true, ct);

    private async Task<InboundMessageView> RecordAsync(InboundMessage inbound, InboundOutcome outcome, string detail, CancellationToken ct)
    {
        inbound.Outcome = outcome;
        inbound.Detail = Limits.Trim(detail);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Inbound.Add(inbound);
        await db.SaveChangesAsync(ct);
        await AuditAsync(inbound, null, tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return View(inbound, null);
    }

    private Task AuditAsync(InboundMessage inbound, Message? matched, System.Data.Common.DbTransaction tx, CancellationToken ct) =>
        audit.RecordAsync(new AuditEntry(AuditAction.Create, "InboundMessage", inbound.Id.ToString(), inbound.PatientId?.ToString(),
            Detail: $"SMS {inbound.Outcome}" + (inbound.MatchedMessageId is { } m ? $" in reply to message {m}" : "")), tx, ct);

    /// <summary>An inbound text as pages and the API show it; <paramref name="purpose"/> is that of the message it answered.</summary>
    internal static InboundMessageView View(InboundMessage i, string? purpose) => new(
        i.Id, i.Channel, i.Sender, i.Body, Message.Utc(i.ReceivedAt), i.Outcome.ToString(),
        i.MatchedMessageId is { } m ? new MessageId(m) : null, purpose, i.PatientId is { } p ? new PatientId(p) : null,
        i.ReplyMessageId is { } r ? new MessageId(r) : null, i.Detail);
}
