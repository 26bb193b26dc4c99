using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.Outbox;
using Meridian.Messaging.Features.SendEmail;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging.Features.SendMessages;

/// <summary>Wakes the sender when a message is enqueued, so it need not wait for its next poll.</summary>
internal sealed class SendSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Nudge()
    {
        if (_signal.CurrentCount == 0)
        {
            try { _signal.Release(); }
            catch (SemaphoreFullException) { /* another nudge got there first: one wake-up is enough */ }
        }
    }

    /// <summary>Waits for a nudge or the poll interval. After a nudge it waits a moment more: an enqueue in the caller's
    /// transaction nudges before that transaction commits.</summary>
    public async Task WaitAsync(TimeSpan pollInterval, CancellationToken ct)
    {
        if (await _signal.WaitAsync(pollInterval, ct))
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
    }
}

/// <summary>
/// Sends what the outbox holds. Each pass claims due messages in a short write transaction — on PostgreSQL with
/// <c>FOR UPDATE SKIP LOCKED</c>, so several hosts never claim the same row; on SQLite inside the single write lock — and
/// marks them Sending with a lease before any network call. Then it sends each one and records Sent, a retry, or a failure,
/// only if it still holds the lease. A sender that dies mid-send leaves the message Sending; when the lease expires the
/// message is due again and is resent with the same idempotency key (e-mail Message-ID, SMS client reference): delivery
/// is at least once, and duplicates are for the receiving side to drop (decision 0009).
/// </summary>
internal sealed class MessageSender(
    IServiceScopeFactory scopes, SendSignal signal, IOptions<MessagingOptions> options, MeridianMode mode, TimeProvider time, ILogger<MessageSender> logger)
    : BackgroundService
{
    private const int MaxBatchesPerPass = 50;
    private MessagingOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Sender.Enabled)
        {
            logger.LogInformation("The message sender is disabled (Meridian:Messaging:Sender:Enabled=false); queued messages wait");
            return;
        }
        LogTransports();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A database outage or similar: log and try again next poll; messages stay where they are.
                logger.LogError(e, "Message sender pass failed; trying again in {Interval}", Options.Sender.PollInterval);
            }
            try
            {
                await signal.WaitAsync(Options.Sender.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private void LogTransports()
    {
        if (Options.UsesLocalMailbox(mode.Demo))
        {
            if (mode.Demo) logger.LogInformation("E-mail goes to the local mailbox simulator (demo mode)");
            else logger.LogWarning("No SMTP host is configured (Meridian:Messaging:Smtp:Host): e-mail goes to the local mailbox simulator and reaches nobody");
        }
        else logger.LogInformation("E-mail goes to SMTP {Host}:{Port}", Options.Smtp.Host, Options.Smtp.Port);
        if (Options.UsesSmsSimulator(mode.Demo)) logger.LogInformation("SMS goes to the SMS gateway simulator");
        else logger.LogWarning("No SMS gateway is configured (Meridian:Messaging:Sms:Gateway): SMS messages will fail");
    }

    /// <summary>One pass: claims and sends due messages until none are due. Returns how many messages it looked at.</summary>
    internal async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        var total = 0;
        for (var batch = 0; batch < MaxBatchesPerPass; batch++)
        {
            IReadOnlyList<Claimed> claimed;
            int looked;
            await using (var scope = scopes.CreateAsyncScope())
                (looked, claimed) = await ClaimAsync(scope.ServiceProvider, ct);
            total += looked;
            foreach (var c in claimed)
            {
                await using var scope = scopes.CreateAsyncScope();
                await DeliverAsync(scope.ServiceProvider, c, ct);
            }
            if (looked < Options.Sender.BatchSize) break;
        }
        return total;
    }

    /// <summary>A message this sender holds the lease on.</summary>
    private sealed record Claimed(Guid Id, Guid LeaseToken, int Attempt, MessageChannel Channel, string Recipient, string? Subject, string Body, string TimeZone);

    private async Task<(int Looked, IReadOnlyList<Claimed> Claimed)> ClaimAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<MessagingDbContext>();
        var database = services.GetRequiredService<DatabaseOptions>();
        var now = MessageOutbox.Now(time);
        var batch = Options.Sender.BatchSize;
        // SKIP LOCKED: rows another sender is claiming right now are passed over, not waited for.
        var claimSql = $"SELECT * FROM {ModuleDatabase.QualifiedTable(database.Provider, MessagingDbContext.Schema, "message")} " +
                       "WHERE next_attempt_at <= {0} ORDER BY next_attempt_at LIMIT {1} FOR UPDATE SKIP LOCKED";
        // A plain read first: an idle pass takes no write lock (on SQLite the whole database's).
        if (!await db.Messages.AnyAsync(m => m.NextAttemptAt <= now, ct)) return (0, []);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var due = database.Provider == DatabaseProvider.PostgreSql
            ? await db.Messages.FromSqlRaw(claimSql, now, batch).ToListAsync(ct)
            // SQLite: this transaction holds the database's single write lock (BEGIN IMMEDIATE, through SqliteWriteGate).
            : await db.Messages.Where(m => m.NextAttemptAt <= now).OrderBy(m => m.NextAttemptAt).Take(batch).ToListAsync(ct);
        if (due.Count == 0) return (0, []);

        var consent = await ConsentAsync(services, db, due, ct);
        var claimed = new List<Claimed>();
        foreach (var m in due)
        {
            var resumed = m.State == MessageState.Sending;
            if (resumed)
                logger.LogWarning("Message {Id}: the lease of attempt {Attempt} expired without a result (sender stopped?); it is due again", m.Id, m.Attempts);
            var zone = Zone(m);
            if (m.ExpiresAt is { } expires && expires <= now)
                Finish(db, m, now, MessageState.Expired, $"Expired at {expires:yyyy-MM-dd HH:mm} UTC before it could be sent");
            else if (consent(m) is { } reason)
                Finish(db, m, now, MessageState.Suppressed, reason);
            else if (resumed && m.Attempts >= Options.Sender.MaxAttempts)
                Finish(db, m, now, MessageState.Failed, $"Attempt {m.Attempts} ended without a result and no attempts are left");
            else if (Quiet(m, now, zone) is { } until)
            {
                m.State = MessageState.Deferred;
                m.NextAttemptAt = until;
                m.LeaseToken = null;
                m.LeaseExpiresAt = null;
                m.UpdatedAt = now;
                db.Events.Add(Event(m, now, $"Quiet hours in {zone.Id}: deferred to {Local(until, zone)}"));
            }
            else
            {
                m.State = MessageState.Sending;
                m.Attempts++;
                m.LeaseToken = Guid.NewGuid();
                m.LeaseExpiresAt = now + Options.Sender.Lease;
                m.NextAttemptAt = m.LeaseExpiresAt;
                m.UpdatedAt = now;
                db.Events.Add(Event(m, now, resumed
                    ? $"Attempt {m.Attempts}: the previous attempt's lease expired without a result; sending again with the same idempotency key"
                    : $"Attempt {m.Attempts}"));
                claimed.Add(new Claimed(m.Id, m.LeaseToken.Value, m.Attempts, m.Channel, m.Recipient, m.Subject, m.Body, m.TimeZone));
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (due.Count, claimed);
    }

    /// <summary>
    /// Why a message must not go out (consent or opt-out), or null. Read at claim time, just before sending: the patient may
    /// have withdrawn consent since the message was queued.
    /// </summary>
    private async Task<Func<Message, string?>> ConsentAsync(IServiceProvider services, MessagingDbContext db, IReadOnlyList<Message> due, CancellationToken ct)
    {
        var directory = services.GetRequiredService<IPatientDirectory>();
        var ids = due.Where(m => m.PatientId is not null).Select(m => new PatientId(m.PatientId!.Value)).Distinct().ToList();
        var patients = (await directory.FindManyAsync(ids, ct)).ToDictionary(p => p.Id);
        // A merged record's messages follow the surviving record's preferences.
        var survivors = patients.Values.Where(p => p.MergedInto is { } s && !patients.ContainsKey(s)).Select(p => p.MergedInto!.Value).Distinct().ToList();
        foreach (var s in await directory.FindManyAsync(survivors, ct)) patients[s.Id] = s;

        var addresses = due.Select(m => m.Recipient).Distinct().ToList();
        var optOuts = (await db.OptOuts.AsNoTracking().Where(o => addresses.Contains(o.Address)).ToListAsync(ct))
            .ToDictionary(o => (o.Channel, o.Address));

        return m =>
        {
            if (m.PatientId is { } pid)
            {
                if (!patients.TryGetValue(new PatientId(pid), out var patient)) return "The patient record was not found";
                if (patient.MergedInto is { } survivor && patients.TryGetValue(survivor, out var s)) patient = s;
                if (patient.Details.DeceasedDate is not null) return "The patient is recorded as deceased";
                var preferences = patient.Details.ContactPreferences ?? new ContactPreferences();
                if (m.Channel == MessageChannel.Sms && !preferences.AllowSms) return "The patient has not consented to SMS";
                if (m.Channel == MessageChannel.Email && !preferences.AllowEmail) return "The patient has not consented to e-mail";
            }
            if (!SystemPurposes.BypassesOptOut(m.Purpose) && optOuts.TryGetValue((m.Channel, m.Recipient), out var optOut))
                return $"The recipient opted out of {(m.Channel == MessageChannel.Sms ? "SMS" : "e-mail")} ({optOut.Source}, {optOut.CreatedAt:yyyy-MM-dd})";
            return null;
        };
    }

    private sealed record Outcome(bool Success, bool Transient, string Detail, string? ProviderMessageId = null, DateTime? DeliveredAt = null);

    private async Task DeliverAsync(IServiceProvider services, Claimed c, CancellationToken ct)
    {
        // The send must end well inside the lease, so that no second sender takes the message while this one still works on it.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Options.Sender.Lease / 2);
        Outcome outcome;
        try
        {
            outcome = c.Channel == MessageChannel.Email ? await SendEmailAsync(services, c, deadline.Token) : await SendSmsAsync(services, c, deadline.Token);
        }
        catch (DeliveryException e)
        {
            outcome = new Outcome(false, e.Transient, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the message stays Sending; its lease expires and the next sender retries it.
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = new Outcome(false, true, $"The send did not finish within {(Options.Sender.Lease / 2).TotalSeconds:0} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            outcome = new Outcome(false, true, $"{e.GetType().Name}: {e.Message}");
        }
        await CompleteAsync(services, c, outcome, ct);
    }

    private async Task<Outcome> SendEmailAsync(IServiceProvider services, Claimed c, CancellationToken ct)
    {
        var transport = services.GetRequiredService<IEmailTransport>();
        var smtp = Options.Smtp;
        var email = new OutgoingEmail(Message.EmailMessageId(c.Id), smtp.From ?? "no-reply@meridian.invalid", smtp.FromName ?? Options.PracticeName,
            c.Recipient, c.Subject ?? "", c.Body, time.GetUtcNow());
        var result = await transport.SendAsync(email, ct);
        return new Outcome(true, false, result.Detail, result.ProviderMessageId);
    }

    private async Task<Outcome> SendSmsAsync(IServiceProvider services, Claimed c, CancellationToken ct)
    {
        var gateway = services.GetRequiredService<ISmsGateway>();
        // The client reference is the message id on every attempt: the gateway's de-duplication key.
        var result = await gateway.SendAsync(c.Recipient, c.Body, c.Id.ToString("D"), ct);
        return result.Status switch
        {
            SmsSendStatus.Accepted => new Outcome(true, false, "Accepted by the SMS gateway", result.ProviderMessageId),
            SmsSendStatus.Delivered => new Outcome(true, false, "Accepted by the SMS gateway", result.ProviderMessageId,
                MessageOutbox.Truncate((result.DeliveredAt ?? time.GetUtcNow()).UtcDateTime)),
            SmsSendStatus.TransientFailure => new Outcome(false, true, result.Error ?? "The SMS gateway reported a temporary failure"),
            _ => new Outcome(false, false, result.Error ?? "The SMS gateway refused the message"),
        };
    }

    private async Task CompleteAsync(IServiceProvider services, Claimed c, Outcome outcome, CancellationToken ct)
    {
        var db = services.GetRequiredService<MessagingDbContext>();
        var now = MessageOutbox.Now(time);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var m = await db.Messages.FirstOrDefaultAsync(x => x.Id == c.Id, ct);
        if (m is null || m.State != MessageState.Sending || m.LeaseToken != c.LeaseToken)
        {
            // Another sender took the message over after this one's lease expired; its result stands.
            logger.LogWarning("Message {Id}: attempt {Attempt} finished ({Detail}) after losing its lease; result not recorded", c.Id, c.Attempt, outcome.Detail);
            return;
        }
        m.LeaseToken = null;
        m.LeaseExpiresAt = null;
        m.UpdatedAt = now;
        if (outcome.Success)
        {
            m.State = MessageState.Sent;
            m.SentAt = now;
            m.NextAttemptAt = null;
            m.ProviderMessageId = outcome.ProviderMessageId;
            m.LastError = null;
            db.Events.Add(Event(m, now, outcome.Detail));
            if (outcome.DeliveredAt is { } delivered)
            {
                m.State = MessageState.Delivered;
                m.DeliveredAt = delivered;
                db.Events.Add(Event(m, delivered < now ? now : delivered, "Delivery reported by the SMS gateway"));
            }
            logger.LogInformation("Message {Id} ({Channel}) sent on attempt {Attempt}", c.Id, c.Channel, c.Attempt);
        }
        else if (outcome.Transient && m.Attempts < Options.Sender.MaxAttempts)
        {
            var zone = Zone(m);
            var next = MessageOutbox.Truncate(now + RetryPolicy.Delay(m.Attempts, Options.Sender.RetryBaseDelay, Options.Sender.RetryMaxDelay,
                Options.Sender.RetryJitter, Random.Shared.NextDouble()));
            next = Quiet(m, next, zone) ?? next;
            m.State = MessageState.Deferred;
            m.NextAttemptAt = next;
            m.LastError = Limits.Trim(outcome.Detail);
            db.Events.Add(Event(m, now, $"Attempt {m.Attempts} failed, will retry at {Local(next, zone)}: {outcome.Detail}"));
            logger.LogWarning("Message {Id} ({Channel}) attempt {Attempt} failed, retry at {Next:O}: {Error}", c.Id, c.Channel, c.Attempt, next, outcome.Detail);
        }
        else
        {
            var detail = outcome.Transient ? $"Gave up after {m.Attempts} attempts: {outcome.Detail}" : outcome.Detail;
            m.State = MessageState.Failed;
            m.NextAttemptAt = null;
            m.LastError = Limits.Trim(detail);
            db.Events.Add(Event(m, now, detail));
            logger.LogError("Message {Id} ({Channel}) failed on attempt {Attempt}: {Error}", c.Id, c.Channel, c.Attempt, detail);
        }
        // Concurrency tokens (state, lease) make this update fail if the message changed since it was read above.
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private void Finish(MessagingDbContext db, Message m, DateTime now, MessageState state, string reason)
    {
        m.State = state;
        m.NextAttemptAt = null;
        m.LeaseToken = null;
        m.LeaseExpiresAt = null;
        m.UpdatedAt = now;
        m.LastError = Limits.Trim(reason);
        db.Events.Add(Event(m, now, reason));
        logger.LogInformation("Message {Id} ({Channel}) {State}: {Reason}", m.Id, m.Channel, state, reason);
    }

    private static MessageEvent Event(Message m, DateTime now, string detail) =>
        new() { MessageId = m.Id, OccurredAt = now, State = m.State, Attempt = m.Attempts, Detail = Limits.Trim(detail) };

    /// <summary>When quiet hours hold the message back, until when. Answers to a text the recipient just sent (keyword
    /// confirmations, handler replies) are not held: the recipient is awake and waiting for them.</summary>
    private DateTime? Quiet(Message m, DateTime utc, TimeZoneInfo zone) =>
        Options.QuietHours.Enabled && !SystemPurposes.IsSystem(m.Purpose)
            ? QuietHours.DeferUntil(utc, zone, Options.QuietHours.Start, Options.QuietHours.End)
            : null;

    private TimeZoneInfo Zone(Message m)
    {
        if (TimeZoneInfo.TryFindSystemTimeZoneById(m.TimeZone, out var zone)) return zone;
        logger.LogWarning("Message {Id}: time zone {Zone} is no longer known here; using the practice's", m.Id, m.TimeZone);
        return Options.DefaultZone();
    }

    private static string Local(DateTime utc, TimeZoneInfo zone)
    {
        var offset = zone.GetUtcOffset(utc);
        var local = utc + offset;
        return $"{local:yyyy-MM-dd HH:mm} {zone.Id} (UTC{(offset < TimeSpan.Zero ? "-" : "+")}{offset:hh\\:mm})";
    }
}
