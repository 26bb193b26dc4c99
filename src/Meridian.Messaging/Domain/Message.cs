using Meridian.Messaging.Contracts;
using Meridian.Patients.Contracts;

namespace Meridian.Messaging.Domain;

/// <summary>
/// One outbound message and its sending state. Times are UTC. <see cref="NextAttemptAt"/> is when the sender should look at
/// the message next: the due time while Queued or Deferred, the lease expiry while Sending (a sender that dies mid-send
/// leaves it due again), null once the message has reached a final state. The sender claims by that one column.
/// </summary>
internal sealed class Message
{
    public Guid Id { get; set; }
    public MessageChannel Channel { get; set; }
    public string Recipient { get; set; } = "";
    public string? Subject { get; set; }
    public string Body { get; set; } = "";
    public string Purpose { get; set; } = "";
    public string CorrelationKey { get; set; } = "";
    public string? Reference { get; set; }
    public Guid? PatientId { get; set; }
    /// <summary>The IANA zone quiet hours are computed in (the practice's when the caller gave none).</summary>
    public string TimeZone { get; set; } = "";
    public MessageState State { get; set; }
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime SendAfter { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    /// <summary>The claim of the sender working on it (new for every attempt), and until when that claim holds.</summary>
    public Guid? LeaseToken { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public DateTime? SentAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    /// <summary>The gateway's id for an SMS; the RFC 5322 Message-ID for an e-mail.</summary>
    public string? ProviderMessageId { get; set; }
    public string? LastError { get; set; }

    public MessageView ToView() => new(
        new MessageId(Id), Channel, Recipient, Subject, Body, Purpose, CorrelationKey, Reference,
        PatientId is { } p ? new PatientId(p) : null, State, Attempts, Utc(CreatedAt), Utc(SendAfter),
        NextAttemptAt is { } n ? Utc(n) : null, SentAt is { } s ? Utc(s) : null, DeliveredAt is { } d ? Utc(d) : null, LastError);

    public static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    /// <summary>The RFC 5322 Message-ID of the e-mail: the same on every attempt, so a receiving system can drop a repeat.</summary>
    public static string EmailMessageId(Guid id) => $"<{id:D}@meridian>";

    /// <summary>The message id in a Message-ID made by <see cref="EmailMessageId"/>, or null for any other Message-ID.</summary>
    public static Guid? FromEmailMessageId(string messageId) =>
        messageId.StartsWith('<') && messageId.EndsWith("@meridian>", StringComparison.Ordinal)
        && Guid.TryParseExact(messageId[1..^"@meridian>".Length], "D", out var id) ? id : null;
}

/// <summary>One change of a message's state: its delivery history.</summary>
internal sealed class MessageEvent
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public DateTime OccurredAt { get; set; }
    public MessageState State { get; set; }
    public int Attempt { get; set; }
    public string? Detail { get; set; }
}

internal enum InboundOutcome
{
    /// <summary>Stored; its handler has not finished yet (or the process stopped while it ran).</summary>
    Received,
    Handled,
    /// <summary>From an address Meridian has not messaged within the match window: recorded and otherwise ignored.</summary>
    Unmatched,
    /// <summary>Matched a message, but no handler takes replies for its purpose.</summary>
    Ignored,
    OptOut,
    OptIn,
    Help,
    /// <summary>The handler threw; the error is in Detail.</summary>
    Failed,
}

internal sealed class InboundMessage
{
    public Guid Id { get; set; }
    public MessageChannel Channel { get; set; }
    public string Sender { get; set; } = "";
    public string Body { get; set; } = "";
    public DateTime ReceivedAt { get; set; }
    public Guid? MatchedMessageId { get; set; }
    public Guid? PatientId { get; set; }
    public InboundOutcome Outcome { get; set; }
    public Guid? ReplyMessageId { get; set; }
    public string? Detail { get; set; }
}

/// <summary>An address that asked not to be messaged on a channel (CTIA: a STOP reply applies to the number).</summary>
internal sealed class OptOut
{
    public Guid Id { get; set; }
    public MessageChannel Channel { get; set; }
    public string Address { get; set; } = "";
    /// <summary>The patient the opt-out was attributed to when it was made (information only; the address is what counts).</summary>
    public Guid? PatientId { get; set; }
    public string Source { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

/// <summary>An e-mail the local mailbox simulator received instead of an SMTP server (demo, or no SMTP host configured).</summary>
internal sealed class SimulatedEmail
{
    public Guid Id { get; set; }
    /// <summary>The RFC 5322 Message-ID; unique, so a retried send is stored once.</summary>
    public string InternetMessageId { get; set; } = "";
    public string Sender { get; set; } = "";
    public string Recipient { get; set; } = "";
    public string? Subject { get; set; }
    /// <summary>The complete rendered MIME message, exactly as it would go over SMTP (before dot-stuffing).</summary>
    public string Mime { get; set; } = "";
    public DateTime ReceivedAt { get; set; }
}

/// <summary>A text the SMS gateway simulator "sent".</summary>
internal sealed class SimulatedSms
{
    public Guid Id { get; set; }
    /// <summary>The sender's idempotency key (the message id); unique, so a retried send is stored once.</summary>
    public string ClientReference { get; set; } = "";
    public string Recipient { get; set; } = "";
    public string Body { get; set; } = "";
    public DateTime SentAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    /// <summary>How often the same client reference was submitted (a retry after a crash shows here, not as a second text).</summary>
    public int Submissions { get; set; }
}
