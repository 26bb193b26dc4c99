using System.Text;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.Outbox;
using Meridian.SharedKernel;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.SendEmail;

/// <summary>The outcome of handing an e-mail over. Failures are thrown as <see cref="DeliveryException"/>.</summary>
internal sealed record EmailSendResult(string ProviderMessageId, string Detail);

/// <summary>A failed hand-over: transient (retry with backoff) or permanent (the message fails now).</summary>
internal sealed class DeliveryException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

internal interface IEmailTransport
{
    /// <summary>Where mail goes, for logs and pages ("SMTP mail.example.org:587", "local mailbox simulator").</summary>
    string Description { get; }
    Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken ct);
}

/// <summary>Real e-mail through the configured SMTP server.</summary>
internal sealed class SmtpEmailTransport(IOptions<MessagingOptions> options, ILogger<SmtpEmailTransport> logger) : IEmailTransport
{
    private MessagingOptions.SmtpOptions Smtp => options.Value.Smtp;

    public string Description => $"SMTP {Smtp.Host}:{Smtp.Port}";

    public async Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        var mime = MimeMessage.Render(email);
        try
        {
            var reply = await new SmtpMailer(Smtp, logger).SendAsync(email.From, email.To, mime, ct);
            return new EmailSendResult(email.MessageId, $"Accepted by {Description}: {reply}");
        }
        catch (SmtpException e)
        {
            throw new DeliveryException(e.Message, e.Transient, e);
        }
        catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // The connection broke mid-conversation. If that happened after the final "." the server may have the message:
            // the retry carries the same Message-ID (decision 0009: at least once, with an idempotency key).
            throw new DeliveryException($"SMTP conversation with {Smtp.Host}:{Smtp.Port} failed: {e.Message}", transient: true, e);
        }
    }
}

/// <summary>
/// The local mailbox simulator: used in demo mode and when no SMTP host is configured. It renders the message exactly as
/// it would go over SMTP and stores it in the practice database (table messaging.simulated_email), where the page
/// "Outgoing mail (local simulator)" shows it. Nothing leaves the machine. A repeated Message-ID is stored once.
/// </summary>
internal sealed class LocalMailboxSimulator(MessagingDbContext db, TimeProvider time) : IEmailTransport
{
    public string Description => "the local mailbox simulator (nothing leaves this machine)";

    public async Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        var mime = MimeMessage.Render(email);
        var exists = await db.SimulatedEmails.AnyAsync(e => e.InternetMessageId == email.MessageId, ct);
        if (!exists)
        {
            db.SimulatedEmails.Add(new SimulatedEmail
            {
                Id = TypedIds.NewGuid(time),
                InternetMessageId = email.MessageId,
                Sender = email.From,
                Recipient = email.To,
                Subject = email.Subject.Length > Limits.Subject ? email.Subject[..Limits.Subject] : email.Subject,
                Mime = Encoding.ASCII.GetString(mime),
                ReceivedAt = MessageOutbox.Now(time),
            });
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        return new EmailSendResult(email.MessageId, exists ? "Local mailbox simulator already had this Message-ID; kept one copy" : "Stored by the local mailbox simulator");
    }
}
