using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;

namespace Meridian.Messaging.Contracts;

public enum MessageChannel
{
    Email,
    Sms,
}

/// <summary>
/// Where an outbound message is in its life. Queued → (Deferred ⇄ Sending)* → Sent → Delivered, or it ends Failed,
/// Suppressed (no consent, opted out), Cancelled (by its sender before it went out) or Expired (too late to be useful).
/// </summary>
public enum MessageState
{
    Queued,
    Deferred,
    Sending,
    Sent,
    Delivered,
    Failed,
    Suppressed,
    Cancelled,
    Expired,
}

[JsonConverter(typeof(MessageIdJsonConverter))]
public readonly record struct MessageId(Guid Value) : ITypedId
{
    public override string ToString() => Value.ToString();
    public static MessageId? TryParse(string? text) => TypedIds.TryParse(text) is { } g ? new MessageId(g) : null;
}

public sealed class MessageIdJsonConverter : JsonConverter<MessageId>
{
    public override MessageId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetGuid());
    public override void Write(Utf8JsonWriter writer, MessageId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

/// <summary>
/// A message to send. <paramref name="To"/> is an e-mail address (Email) or a phone number (Sms; normalized to E.164,
/// US numbers without +1 accepted). <paramref name="Subject"/> is for Email only.
/// <paramref name="Purpose"/> routes replies to the <see cref="IInboundMessageHandler"/> of the same purpose
/// (lower-case letters, digits and '-', e.g. "appointment-reminder"). <paramref name="CorrelationKey"/> makes
/// enqueueing idempotent: a second message with the same key is not stored, and the first one's id is returned.
/// Consent and opt-out are checked for <paramref name="Patient"/> just before sending. Quiet hours apply in
/// <paramref name="RecipientTimeZone"/> (an IANA id; null = the practice's zone). A message still unsent at
/// <paramref name="ExpiresAt"/> becomes Expired. <paramref name="Reference"/> is the caller's own id, carried back on replies.
/// </summary>
public sealed record OutboundMessage(
    MessageChannel Channel,
    string To,
    string? Subject,
    string Body,
    string Purpose,
    string CorrelationKey,
    PatientId? Patient,
    DateTimeOffset SendAfter,
    string? RecipientTimeZone,
    DateTimeOffset? ExpiresAt = null,
    string? Reference = null);

/// <summary>
/// The outbox. Messages are stored, then sent by a background sender (at least once, with the same idempotency key on
/// every attempt: see docs/decisions/0009-messaging-outbox.md). Invalid messages throw ValidationFailedException and
/// nothing is stored.
/// </summary>
public interface IMessageOutbox
{
    /// <summary>Inserts in the caller's transaction (outbox pattern: the message exists iff the caller's work commits).</summary>
    Task<MessageId> EnqueueAsync(OutboundMessage message, DbTransaction transaction, CancellationToken ct = default);

    /// <summary>Inserts in a transaction of its own.</summary>
    Task<MessageId> EnqueueAsync(OutboundMessage message, CancellationToken ct = default);

    /// <summary>
    /// Cancels the messages whose correlation key starts with <paramref name="correlationKeyPrefix"/> (ordinal, case-sensitive)
    /// and that have not gone out yet (Queued or Deferred); returns how many. A message being sent at this moment is not
    /// stopped. With a transaction, the cancellation commits with the caller's work.
    /// </summary>
    Task<int> CancelAsync(string correlationKeyPrefix, DbTransaction? transaction, CancellationToken ct = default);

    /// <summary>
    /// Messages matching the query, newest first. Not audited here (like IPatientDirectory.FindAsync): a caller that shows
    /// them to a user records that read itself.
    /// </summary>
    Task<IReadOnlyList<MessageView>> FindAsync(MessageQuery query, CancellationToken ct = default);
}

/// <summary>
/// Filters for <see cref="IMessageOutbox.FindAsync"/>; all optional and combined with AND. CreatedFrom/CreatedTo bound
/// <see cref="MessageView.CreatedAt"/> (from inclusive, to exclusive). Recipient is compared after normalization.
/// </summary>
public sealed record MessageQuery(
    string? Reference = null,
    PatientId? Patient = null,
    string? Purpose = null,
    MessageState? State = null,
    MessageChannel? Channel = null,
    string? Recipient = null,
    string? CorrelationKeyPrefix = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    int Offset = 0,
    int Count = 50);

public sealed record MessageView(
    MessageId Id,
    MessageChannel Channel,
    string To,
    string? Subject,
    string Body,
    string Purpose,
    string CorrelationKey,
    string? Reference,
    PatientId? Patient,
    MessageState State,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset SendAfter,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? DeliveredAt,
    string? LastError);

/// <summary>
/// A patient's reply. <paramref name="InReplyTo"/> is the latest message Meridian sent to that address (within the match
/// window) whose purpose is the handler's; <paramref name="From"/> is normalized (E.164 for SMS).
/// </summary>
public sealed record InboundReply(MessageChannel Channel, string From, string Body, DateTimeOffset ReceivedAt, MessageView? InReplyTo);

/// <summary>
/// Handles replies to messages of one <see cref="Purpose"/>; implemented by other modules and registered in DI
/// (<c>services.AddScoped&lt;IInboundMessageHandler, X&gt;()</c>). Keywords (STOP, START, HELP…) never reach handlers.
/// A handler runs without a signed-in staff user when a real gateway delivers the reply, so it must not depend on the
/// caller's permissions. Returns an optional text to answer the sender (sent as an SMS back through the outbox).
/// A handler that throws is recorded as failed for that reply; nothing is answered.
/// </summary>
public interface IInboundMessageHandler
{
    string Purpose { get; }
    Task<string?> HandleAsync(InboundReply reply, CancellationToken ct);
}

public enum SmsSendStatus
{
    /// <summary>The gateway took the message; a delivery report may follow.</summary>
    Accepted,
    /// <summary>The gateway reports the message delivered to the handset.</summary>
    Delivered,
    /// <summary>Try again later (gateway overloaded, 5xx, timeout).</summary>
    TransientFailure,
    /// <summary>Will never succeed (invalid or unreachable number, blocked).</summary>
    PermanentFailure,
}

public sealed record SmsSendResult(SmsSendStatus Status, string? ProviderMessageId = null, string? Error = null, DateTimeOffset? DeliveredAt = null);

/// <summary>
/// An SMS gateway adapter. <paramref name="clientReference"/> is the same on every attempt for one message (its id):
/// an adapter passes it to a gateway that de-duplicates on it, so a retry after a crash does not text twice.
/// A network exception or timeout counts as a transient failure.
/// </summary>
public interface ISmsGateway
{
    Task<SmsSendResult> SendAsync(string to, string body, string clientReference, CancellationToken ct);
}
