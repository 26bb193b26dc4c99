using Meridian.Audit.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.ViewMessages;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.LocalMailbox;

public sealed record SimulatedEmailView(Guid Id, string MessageId, string From, string To, string? Subject, DateTimeOffset ReceivedAt, string Mime);

/// <summary>"Outgoing mail (local simulator)": the e-mail the local mailbox simulator took instead of an SMTP server.</summary>
internal sealed class LocalMailboxHandler(MessagingDbContext db, IOptions<MessagingOptions> options, MeridianMode mode, IAuditTrail audit, ICurrentActor actor)
{
    public const int MaxMails = 200;

    /// <summary>True when e-mail currently goes to the simulator (demo mode, or no SMTP host configured).</summary>
    public bool InUse => options.Value.UsesLocalMailbox(mode.Demo);

    public async Task<IReadOnlyList<SimulatedEmailView>> ListAsync(string? to, int count, CancellationToken ct = default)
    {
        MessagingAccess.Require(actor, Permissions.MessagingAdmin);
        var address = MessagingAccess.ListingFilter(to, EmailAddress.TryNormalize, "is not a valid e-mail address.", count, MaxMails);
        var q = db.SimulatedEmails.AsNoTracking();
        if (address is not null) q = q.Where(e => e.Recipient == address);
        var mails = await q.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Id).Take(count).ToListAsync(ct);
        await MessagingAccess.AuditSimulatedAsync(db, audit, "SimulatedEmail", mails.Select(m => Message.FromEmailMessageId(m.InternetMessageId)),
            "local mailbox simulator" + (address is null ? "" : " to " + address), ct);
        return mails.Select(m => new SimulatedEmailView(m.Id, m.InternetMessageId, m.Sender, m.Recipient, m.Subject, Message.Utc(m.ReceivedAt), m.Mime)).ToList();
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/messaging/local-mailbox", async (string? to, int? count, LocalMailboxHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.ListAsync(to, count ?? 50, ct)))
            .RequireAuthorization(Permissions.MessagingAdmin)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "SimulatedEmail"));
}
