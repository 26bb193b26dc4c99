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
        var v = new Validator();
        string? address = null;
        if (to is { Length: > 0 } && !EmailAddress.TryNormalize(to, out address)) v.Add("to", "is not a valid e-mail address.");
        v.When(count is < 1 or > MaxMails, "count", $"must be between 1 and {MaxMails}.");
        v.ThrowIfInvalid();
        var q = db.SimulatedEmails.AsNoTracking();
        if (address is not null) q = q.Where(e => e.Recipient == address);
        var mails = await q.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Id).Take(count).ToListAsync(ct);
        // The Message-ID is <message id@meridian>: the patients these e-mails were about.
        var ids = mails.Select(m => Guid.TryParse(m.InternetMessageId.Trim('<', '>').Split('@')[0], out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).ToList();
        var patients = await db.Messages.AsNoTracking().Where(m => ids.Contains(m.Id)).Select(m => m.PatientId).ToListAsync(ct);
        await audit.RecordManyAsync(MessagingAccess.SearchEntries("SimulatedEmail", patients, "local mailbox simulator" + (address is null ? "" : " to " + address)), null, ct);
        return mails.Select(m => new SimulatedEmailView(m.Id, m.InternetMessageId, m.Sender, m.Recipient, m.Subject, Message.Utc(m.ReceivedAt), m.Mime)).ToList();
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/messaging/local-mailbox", async (string? to, int? count, LocalMailboxHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.ListAsync(to, count ?? 50, ct)))
            .RequireAuthorization(Permissions.MessagingAdmin)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "SimulatedEmail"));
}
