using System.Data.Common;
using System.Text.RegularExpressions;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.SendMessages;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.Outbox;

/// <summary>
/// The outbox: a message is a row written in the caller's transaction, so it exists exactly when the caller's work
/// commits; the background sender does the network part later (decision 0009).
/// </summary>
internal sealed partial class MessageOutbox(
    MessagingDbContext db, DatabaseOptions database, IOptions<MessagingOptions> options, TimeProvider time, SendSignal signal) : IMessageOutbox
{
    public const int MaxCount = 200;

    public Task<MessageId> EnqueueAsync(OutboundMessage message, DbTransaction transaction, CancellationToken ct = default) =>
        EnqueueAsync(message, transaction, allowSystemPurpose: false, ct);

    public Task<MessageId> EnqueueAsync(OutboundMessage message, CancellationToken ct = default) =>
        EnqueueAsync(message, null, allowSystemPurpose: false, ct);

    /// <summary>Also takes the module's own purposes (keyword answers, handler replies).</summary>
    internal async Task<MessageId> EnqueueAsync(OutboundMessage message, DbTransaction? transaction, bool allowSystemPurpose, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var row = Build(message, allowSystemPurpose, options.Value, time);
        MessageId id;
        if (transaction is not null)
        {
            await using var context = MessagingDbContext.On(transaction, database);
            id = await InsertAsync(context, row, ct);
        }
        else
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            id = await InsertAsync(db, row, ct);
            await tx.CommitAsync(ct);
        }
        // In the caller's transaction the row is not visible until the caller commits; the sender waits a moment after a
        // nudge and otherwise finds the message on its next poll.
        signal.Nudge();
        return id;
    }

    /// <summary>
    /// INSERT … ON CONFLICT (correlation_key) DO NOTHING: a duplicate is skipped without an error, which on PostgreSQL would
    /// abort the caller's whole transaction. A concurrent duplicate waits for the first insert's transaction, then is skipped.
    /// </summary>
    private async Task<MessageId> InsertAsync(MessagingDbContext context, Message m, CancellationToken ct)
    {
        var inserted = await RawSql.InsertIgnoringConflictAsync(context, ModuleDatabase.QualifiedTable(database.Provider, MessagingDbContext.Schema, "message"),
            "correlation_key",
            [
                ("id", m.Id), ("channel", m.Channel.ToString()), ("recipient", m.Recipient), ("subject", m.Subject), ("body", m.Body),
                ("purpose", m.Purpose), ("correlation_key", m.CorrelationKey), ("reference", m.Reference), ("patient_id", m.PatientId),
                ("time_zone", m.TimeZone), ("state", m.State.ToString()), ("attempts", 0), ("created_at", m.CreatedAt), ("updated_at", m.UpdatedAt),
                ("send_after", m.SendAfter), ("next_attempt_at", m.NextAttemptAt), ("expires_at", m.ExpiresAt),
            ], ct);
        if (inserted == 0)
            return new MessageId(await context.Messages.Where(x => x.CorrelationKey == m.CorrelationKey).Select(x => x.Id).SingleAsync(ct));
        context.Events.Add(new MessageEvent
        {
            MessageId = m.Id, OccurredAt = m.CreatedAt, State = MessageState.Queued, Attempt = 0,
            Detail = $"Queued ({m.Purpose}), due {m.SendAfter:yyyy-MM-dd HH:mm} UTC" + (m.ExpiresAt is { } e ? $", expires {e:yyyy-MM-dd HH:mm} UTC" : ""),
        });
        await context.SaveChangesAsync(ct);
        return new MessageId(m.Id);
    }

    public async Task<int> CancelAsync(string correlationKeyPrefix, DbTransaction? transaction, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(correlationKeyPrefix)) throw ValidationFailedException.For("correlationKeyPrefix", "is required.");
        if (correlationKeyPrefix.Length > Limits.CorrelationKey) throw ValidationFailedException.For("correlationKeyPrefix", $"must be at most {Limits.CorrelationKey} characters.");
        if (transaction is not null)
        {
            await using var context = MessagingDbContext.On(transaction, database);
            return await CancelAsync(context, correlationKeyPrefix, ct);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var count = await CancelAsync(db, correlationKeyPrefix, ct);
        await tx.CommitAsync(ct);
        return count;
    }

    private async Task<int> CancelAsync(MessagingDbContext context, string prefix, CancellationToken ct)
    {
        var now = Now(time);
        var candidates = await WithCorrelationKeyPrefix(context.Messages, prefix)
            .Where(m => m.State == MessageState.Queued || m.State == MessageState.Deferred)
            .Select(m => new { m.Id, m.Attempts })
            .ToListAsync(ct);
        var count = 0;
        foreach (var c in candidates)
        {
            // Guarded by state: a message the sender claimed meanwhile is going out and is not marked cancelled.
            var changed = await context.Messages
                .Where(m => m.Id == c.Id && (m.State == MessageState.Queued || m.State == MessageState.Deferred))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.State, MessageState.Cancelled).SetProperty(m => m.NextAttemptAt, (DateTime?)null)
                    .SetProperty(m => m.UpdatedAt, now), ct);
            if (changed == 0) continue;
            context.Events.Add(new MessageEvent { MessageId = c.Id, OccurredAt = now, State = MessageState.Cancelled, Attempt = c.Attempts, Detail = "Cancelled by its sender" });
            count++;
        }
        await context.SaveChangesAsync(ct);
        return count;
    }

    public async Task<IReadOnlyList<MessageView>> FindAsync(MessageQuery query, CancellationToken ct = default)
    {
        Validate(query);
        var rows = await Filter(db.Messages.AsNoTracking(), query)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id)
            .Skip(query.Offset).Take(query.Count).ToListAsync(ct);
        return rows.Select(r => r.ToView()).ToList();
    }

    internal static void Validate(MessageQuery query)
    {
        var v = new Validator();
        if (query.Count is < 1 or > MaxCount) v.Add("count", $"must be between 1 and {MaxCount}.");
        if (query.Offset is < 0 or > 100_000) v.Add("offset", "must be between 0 and 100000.");
        v.MaxLength("reference", query.Reference, Limits.Reference);
        v.MaxLength("purpose", query.Purpose, Limits.Purpose);
        v.MaxLength("recipient", query.Recipient, Limits.Address);
        v.MaxLength("correlationKeyPrefix", query.CorrelationKeyPrefix, Limits.CorrelationKey);
        v.When(query.CreatedFrom is { } f && query.CreatedTo is { } t && t <= f, "createdTo", "must be after createdFrom.");
        v.ThrowIfInvalid();
    }

    internal static IQueryable<Message> Filter(IQueryable<Message> q, MessageQuery query)
    {
        if (query.Reference is { Length: > 0 } reference) q = q.Where(m => m.Reference == reference);
        if (query.Patient is { } patient) q = q.Where(m => m.PatientId == patient.Value);
        if (query.Purpose is { Length: > 0 } purpose) q = q.Where(m => m.Purpose == purpose);
        if (query.State is { } state) q = q.Where(m => m.State == state);
        if (query.Channel is { } channel) q = q.Where(m => m.Channel == channel);
        if (query.Recipient is { Length: > 0 } recipient)
        {
            var normalized = PhoneNumber.TryNormalize(recipient, out var phone) ? phone
                : EmailAddress.TryNormalize(recipient, out var email) ? email : recipient.Trim();
            q = q.Where(m => m.Recipient == normalized);
        }
        if (query.CorrelationKeyPrefix is { Length: > 0 } prefix) q = WithCorrelationKeyPrefix(q, prefix);
        if (query.CreatedFrom is { } from)
        {
            var f = from.UtcDateTime;
            q = q.Where(m => m.CreatedAt >= f);
        }
        if (query.CreatedTo is { } to)
        {
            var t = to.UtcDateTime;
            q = q.Where(m => m.CreatedAt < t);
        }
        return q;
    }

    /// <summary>Messages whose correlation key starts with <paramref name="prefix"/>, exactly (case-sensitive).</summary>
    private static IQueryable<Message> WithCorrelationKeyPrefix(IQueryable<Message> q, string prefix)
    {
        // LIKE can use an index; the substring comparison makes the match exact (SQLite's LIKE ignores ASCII case).
        var pattern = prefix.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        var length = prefix.Length;
        return q.Where(m => EF.Functions.Like(m.CorrelationKey, pattern, "\\") && m.CorrelationKey.Substring(0, length) == prefix);
    }

    /// <summary>Microsecond precision: what both databases store, so a value read back equals the value written.</summary>
    public static DateTime Now(TimeProvider time) => Truncate(time.GetUtcNow().UtcDateTime);

    public static DateTime Truncate(DateTime utc) => new(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]*$")]
    private static partial Regex PurposePattern();

    /// <summary>Validates a message and builds its row; throws ValidationFailedException listing every problem.</summary>
    internal static Message Build(OutboundMessage m, bool allowSystemPurpose, MessagingOptions options, TimeProvider time)
    {
        var v = new Validator();
        string? recipient = null;
        if (!Enum.IsDefined(m.Channel)) v.Add("channel", "must be Email or Sms.");
        else if (string.IsNullOrWhiteSpace(m.To)) v.Add("to", "is required.");
        else if (m.Channel == MessageChannel.Sms && !PhoneNumber.TryNormalize(m.To, out recipient))
            v.Add("to", "is not a valid phone number (E.164 such as +15550101234, or a 10-digit US number).");
        else if (m.Channel == MessageChannel.Email && !EmailAddress.TryNormalize(m.To, out recipient))
            v.Add("to", "is not a valid e-mail address.");

        if (m.Channel == MessageChannel.Email)
        {
            v.Required("subject", m.Subject).MaxLength("subject", m.Subject, Limits.Subject);
            v.When(m.Subject is not null && m.Subject.AsSpan().IndexOfAny('\r', '\n') >= 0, "subject", "must be a single line.");
        }
        else v.When(!string.IsNullOrEmpty(m.Subject), "subject", "must be empty for SMS.");

        v.Required("body", m.Body);
        var maxBody = m.Channel == MessageChannel.Sms ? Limits.SmsBody : Limits.EmailBody;
        v.MaxLength("body", m.Body, maxBody);

        v.Required("purpose", m.Purpose).MaxLength("purpose", m.Purpose, Limits.Purpose);
        if (!string.IsNullOrEmpty(m.Purpose))
        {
            v.When(!PurposePattern().IsMatch(m.Purpose), "purpose", "must be lower-case letters, digits, '-' and '.'.");
            v.When(!allowSystemPurpose && SystemPurposes.IsSystem(m.Purpose), "purpose", $"must not start with '{SystemPurposes.Prefix}' (reserved for the messaging module).");
        }
        v.Required("correlationKey", m.CorrelationKey).MaxLength("correlationKey", m.CorrelationKey, Limits.CorrelationKey);
        v.When(!string.IsNullOrEmpty(m.CorrelationKey) && m.CorrelationKey.Any(char.IsControl), "correlationKey", "must not contain control characters.");
        v.MaxLength("reference", m.Reference, Limits.Reference);
        v.When(m.Patient is { Value: var p } && p == Guid.Empty, "patient", "must be a patient id.");

        var zoneId = string.IsNullOrWhiteSpace(m.RecipientTimeZone) ? options.DefaultTimeZone : m.RecipientTimeZone.Trim();
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
            v.Add("recipientTimeZone", $"'{zoneId}' is not a known time zone (use an IANA id such as America/New_York).");

        v.When(m.SendAfter == default, "sendAfter", "is required.");
        v.When(m.ExpiresAt is { } exp && exp <= m.SendAfter, "expiresAt", "must be after sendAfter.");
        v.ThrowIfInvalid();

        var now = Now(time);
        return new Message
        {
            Id = TypedIds.NewGuid(time),
            Channel = m.Channel,
            Recipient = recipient!,
            Subject = m.Channel == MessageChannel.Email ? m.Subject!.Trim() : null,
            Body = m.Body,
            Purpose = m.Purpose,
            CorrelationKey = m.CorrelationKey,
            Reference = m.Reference,
            PatientId = m.Patient?.Value,
            // Stored as the zone's own id (an IANA id stays as given) so quiet hours do not change if the practice default does.
            TimeZone = zone!.Id,
            State = MessageState.Queued,
            CreatedAt = now,
            UpdatedAt = now,
            SendAfter = Truncate(m.SendAfter.UtcDateTime),
            NextAttemptAt = Truncate(m.SendAfter.UtcDateTime),
            ExpiresAt = m.ExpiresAt is { } e ? Truncate(e.UtcDateTime) : null,
        };
    }
}

/// <summary>Raw SQL the model cannot express through EF: an INSERT that skips a row whose unique key already exists.</summary>
internal static class RawSql
{
    /// <summary>
    /// <c>INSERT INTO table (…) VALUES (…) ON CONFLICT (conflictColumns) DO NOTHING</c> (SQLite ≥ 3.24 and PostgreSQL); returns 1 if
    /// inserted, 0 if skipped. Values are parameters; a null is written as the literal NULL (EF cannot type a null parameter).
    /// Table and column names are the module's own constants, never input.
    /// </summary>
    public static Task<int> InsertIgnoringConflictAsync(DbContext context, string table, string conflictColumns,
        IReadOnlyList<(string Column, object? Value)> values, CancellationToken ct)
    {
        var arguments = new List<object>();
        var placeholders = new List<string>();
        foreach (var (_, value) in values)
        {
            if (value is null) placeholders.Add("NULL");
            else
            {
                placeholders.Add("{" + arguments.Count + "}");
                arguments.Add(value);
            }
        }
        var sql = $"INSERT INTO {table} ({string.Join(", ", values.Select(v => v.Column))}) VALUES ({string.Join(", ", placeholders)}) " +
                  $"ON CONFLICT ({conflictColumns}) DO NOTHING";
        return context.Database.ExecuteSqlRawAsync(sql, arguments, ct);
    }
}
