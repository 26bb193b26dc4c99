using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.Outbox;
using Meridian.Messaging.Features.ReceiveReplies;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Messaging.Features.ViewMessages;

public sealed record MessageEventView(DateTimeOffset OccurredAt, MessageState State, int Attempt, string? Detail);

public sealed record MessageDetails(MessageView Message, string TimeZone, IReadOnlyList<MessageEventView> History, IReadOnlyList<InboundMessageView> Replies);

internal static class MessagingAccess
{
    /// <summary>Handlers check permissions themselves (not only the endpoint policy) because pages call them directly.</summary>
    public static void Require(ICurrentActor actor, string permission)
    {
        if (!actor.IsAuthenticated) throw new ForbiddenException("Sign in to see patient messages.");
        if (!actor.Has(permission)) throw new ForbiddenException($"This action requires the '{permission}' permission.");
    }

    /// <summary>One audit entry per patient whose messages are shown (HIPAA accounting is per patient), or one without a patient.</summary>
    public static IReadOnlyList<AuditEntry> SearchEntries(string resourceType, IEnumerable<Guid?> patients, string detail)
    {
        var distinct = patients.Where(p => p is not null).Select(p => p!.Value).Distinct().ToList();
        return distinct.Count == 0
            ? [new AuditEntry(AuditAction.Search, resourceType, Detail: detail)]
            : distinct.Select(p => new AuditEntry(AuditAction.Search, resourceType, PatientId: p.ToString(), Detail: detail)).ToList();
    }

    public delegate bool Normalizer(string? text, [NotNullWhen(true)] out string? normalized);

    /// <summary>
    /// Checks a simulator listing's recipient filter and count together (one 400 naming both) and returns the recipient in
    /// the form the simulator stored it, or null for no filter.
    /// </summary>
    public static string? ListingFilter(string? to, Normalizer normalize, string invalidTo, int count, int max)
    {
        var v = new Validator();
        string? recipient = null;
        if (to is { Length: > 0 } && !normalize(to, out recipient)) v.Add("to", invalidTo);
        v.When(count < 1 || count > max, "count", $"must be between 1 and {max}.");
        v.ThrowIfInvalid();
        return recipient;
    }

    /// <summary>
    /// Audits a listing of what a simulator received: the rows carry the outbox message id (Message-ID, client reference),
    /// and the patients are those messages' patients.
    /// </summary>
    public static async Task AuditSimulatedAsync(MessagingDbContext db, IAuditTrail audit, string resourceType, IEnumerable<Guid?> messageIds,
        string detail, CancellationToken ct)
    {
        var ids = messageIds.OfType<Guid>().Distinct().ToList();
        var patients = await db.Messages.AsNoTracking().Where(m => ids.Contains(m.Id)).Select(m => m.PatientId).ToListAsync(ct);
        await audit.RecordManyAsync(SearchEntries(resourceType, patients, detail), null, ct);
    }
}

/// <summary>The front desk's view of the outbox: which messages went out, to whom, and what happened to each.</summary>
internal sealed class ViewMessagesHandler(MessagingDbContext db, IAuditTrail audit, ICurrentActor actor)
{
    public async Task<Page<MessageView>> SearchAsync(MessageQuery query, CancellationToken ct = default)
    {
        MessagingAccess.Require(actor, Permissions.MessagingRead);
        MessageOutbox.Validate(query);
        var rows = await MessageOutbox.Filter(db.Messages.AsNoTracking(), query)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id)
            .Skip(query.Offset).Take(query.Count + 1).ToListAsync(ct);
        var items = rows.Take(query.Count).ToList();
        await audit.RecordManyAsync(MessagingAccess.SearchEntries("Message", items.Select(i => i.PatientId), Describe(query)), null, ct);
        return new Page<MessageView>(items.Select(i => i.ToView()).ToList(), query.Offset, query.Count,
            rows.Count > query.Count ? null : query.Offset + items.Count);
    }

    public async Task<MessageDetails> GetAsync(Guid id, CancellationToken ct = default)
    {
        MessagingAccess.Require(actor, Permissions.MessagingRead);
        var m = await db.Messages.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"Message {id} was not found.");
        var events = await db.Events.AsNoTracking().Where(e => e.MessageId == id).OrderBy(e => e.Id).ToListAsync(ct);
        var replies = await db.Inbound.AsNoTracking().Where(i => i.MatchedMessageId == id).OrderBy(i => i.ReceivedAt).ToListAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Message", id.ToString(), m.PatientId?.ToString()), ct);
        return new MessageDetails(m.ToView(), m.TimeZone,
            events.Select(e => new MessageEventView(Message.Utc(e.OccurredAt), e.State, e.Attempt, e.Detail)).ToList(),
            replies.Select(i => InboundPipeline.View(i, m.Purpose)).ToList());
    }

    internal static string Describe(MessageQuery q)
    {
        var parts = new List<string>();
        void Add(string key, object? value) { if (value is not null and not "") parts.Add($"{key}={value}"); }
        Add("reference", q.Reference); Add("patient", q.Patient); Add("purpose", q.Purpose); Add("state", q.State); Add("channel", q.Channel);
        Add("recipient", q.Recipient); Add("correlationKeyPrefix", q.CorrelationKeyPrefix);
        Add("createdFrom", q.CreatedFrom?.ToString("O", CultureInfo.InvariantCulture)); Add("createdTo", q.CreatedTo?.ToString("O", CultureInfo.InvariantCulture));
        Add("offset", q.Offset); Add("count", q.Count);
        return "messages " + string.Join('&', parts);
    }

    /// <summary>The query string of GET /api/messaging/messages and of the messages page.</summary>
    internal static MessageQuery Parse(IQueryCollection query, int defaultCount = 50)
    {
        var v = new Validator();
        string? S(string key) => query[key].ToString() is { Length: > 0 } s && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
        int I(string key, int fallback)
        {
            if (S(key) is not { } s) return fallback;
            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
            v.Add(key, "must be a whole number.");
            return fallback;
        }
        TEnum? E<TEnum>(string key) where TEnum : struct, Enum
        {
            if (S(key) is not { } s) return null;
            if (Enum.TryParse<TEnum>(s, ignoreCase: true, out var e) && Enum.IsDefined(e) && !char.IsDigit(s[0])) return e;
            v.Add(key, $"must be one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
            return null;
        }
        // A date is a whole UTC day (createdTo inclusive); a date-time needs its offset.
        DateTimeOffset? D(string key, bool endOfDay)
        {
            if (S(key) is not { } s) return null;
            if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(endOfDay ? 1 : 0);
            if (s.Length > 10 && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) && (s.EndsWith('Z') || s[^6] is '+' or '-'))
                return t;
            v.Add(key, "must be a date (yyyy-MM-dd) or a date-time with its offset (2025-03-01T09:00:00-06:00).");
            return null;
        }
        PatientId? patient = null;
        if (S("patient") is { } ps)
        {
            patient = PatientId.TryParse(ps);
            if (patient is null) v.Add("patient", "must be a patient id.");
        }
        var result = new MessageQuery(S("reference"), patient, S("purpose"), E<MessageState>("state"), E<MessageChannel>("channel"), S("recipient"),
            S("correlationKeyPrefix"), D("createdFrom", false), D("createdTo", true), I("offset", 0), I("count", defaultCount));
        v.ThrowIfInvalid();
        return result;
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/messaging/messages", async (HttpRequest request, ViewMessagesHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.SearchAsync(Parse(request.Query), ct)))
            .RequireAuthorization(Permissions.MessagingRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Message"));
        app.MapGet("/api/messaging/messages/{id:guid}", async (Guid id, ViewMessagesHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.GetAsync(id, ct)))
            .RequireAuthorization(Permissions.MessagingRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Read, "Message"));
    }
}
