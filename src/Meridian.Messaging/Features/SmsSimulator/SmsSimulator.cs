using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.ReceiveReplies;
using Meridian.Messaging.Features.ViewMessages;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.SmsSimulator;

public sealed record SimulatedInboundSms(string? From, string? Body);

public sealed record SimulatedTextView(Guid Id, string ClientReference, string To, string Body, DateTimeOffset SentAt, DateTimeOffset? DeliveredAt, int Submissions);

/// <summary>
/// The demo face of the SMS gateway simulator: the texts it "sent", and a way to answer one as the patient. The answer goes
/// through the same inbound pipeline a real gateway's webhook would use.
/// </summary>
internal sealed class SmsSimulatorHandler(
    MessagingDbContext db, InboundPipeline inbound, IOptions<MessagingOptions> options, MeridianMode mode, IAuditTrail audit, ICurrentActor actor)
{
    public const int MaxTexts = 200;

    public bool Enabled => options.Value.UsesSmsSimulator(mode.Demo);

    public async Task<InboundMessageView> ReceiveAsync(SimulatedInboundSms? request, CancellationToken ct = default)
    {
        MessagingAccess.Require(actor, Permissions.MessagingSend);
        if (!Enabled) throw new NotFoundException("The SMS gateway simulator is not in use (Meridian:Messaging:Sms:Gateway is not 'Simulator' and this is not a demo).");
        return await inbound.ReceiveSmsAsync(request?.From, request?.Body, ct);
    }

    public async Task<IReadOnlyList<SimulatedTextView>> TextsAsync(string? to, int count, CancellationToken ct = default)
    {
        MessagingAccess.Require(actor, Permissions.MessagingRead);
        var number = MessagingAccess.ListingFilter(to, PhoneNumber.TryNormalize, "is not a valid phone number.", count, MaxTexts);
        var q = db.SimulatedTexts.AsNoTracking();
        if (number is not null) q = q.Where(t => t.Recipient == number);
        var texts = await q.OrderByDescending(t => t.SentAt).ThenByDescending(t => t.Id).Take(count).ToListAsync(ct);
        // The client reference is the message id (see MessageSender).
        await MessagingAccess.AuditSimulatedAsync(db, audit, "SimulatedSms", texts.Select(t => Guid.TryParse(t.ClientReference, out var g) ? g : (Guid?)null),
            "SMS simulator texts" + (number is null ? "" : " to " + number), ct);
        return texts.Select(t => new SimulatedTextView(t.Id, t.ClientReference, t.Recipient, t.Body, Message.Utc(t.SentAt),
            t.DeliveredAt is { } d ? Message.Utc(d) : null, t.Submissions)).ToList();
    }

    /// <summary>The latest texts patients sent (through the simulator or a gateway) and what became of them.</summary>
    public async Task<IReadOnlyList<InboundMessageView>> RecentRepliesAsync(int count, CancellationToken ct = default)
    {
        MessagingAccess.Require(actor, Permissions.MessagingRead);
        var rows = await db.Inbound.AsNoTracking().OrderByDescending(i => i.ReceivedAt).ThenByDescending(i => i.Id).Take(Math.Clamp(count, 1, MaxTexts)).ToListAsync(ct);
        var matched = rows.Where(r => r.MatchedMessageId is not null).Select(r => r.MatchedMessageId!.Value).Distinct().ToList();
        var purposes = await db.Messages.AsNoTracking().Where(m => matched.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.Purpose, ct);
        await audit.RecordManyAsync(MessagingAccess.SearchEntries("InboundMessage", rows.Select(r => r.PatientId), "SMS simulator replies"), null, ct);
        return rows.Select(i => InboundPipeline.View(i, i.MatchedMessageId is { } m && purposes.TryGetValue(m, out var p) ? p : null)).ToList();
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        // Stands in for a real gateway's inbound webhook, called by staff in the demo (and by tests).
        app.MapPost("/api/messaging/sms-simulator/inbound", async (SimulatedInboundSms request, SmsSimulatorHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.ReceiveAsync(request, ct)))
            .RequireAuthorization(Permissions.MessagingSend)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "InboundMessage"));
        app.MapGet("/api/messaging/sms-simulator/texts", async (string? to, int? count, SmsSimulatorHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.TextsAsync(to, count ?? 50, ct)))
            .RequireAuthorization(Permissions.MessagingRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "SimulatedSms"));
    }
}
