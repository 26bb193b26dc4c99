using Meridian.Messaging.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Scheduling.Features.Reminders;

/// <summary>
/// Background service: enqueues each due reminder once. Each pass is <see cref="RunOnceAsync"/>. A reminder is decided once
/// per (appointment, rule, appointment version), recorded in reminder_log in the same transaction as the message, and the
/// message's correlation key reminder:{appointmentId}:{ruleId}:{version} makes a repeated enqueue a no-op as well.
/// </summary>
internal sealed class ReminderScheduler(IServiceScopeFactory scopes, IOptions<SchedulingMessagesOptions> options, ILogger<ReminderScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Reminders;
        if (!settings.Enabled)
        {
            logger.LogInformation("The reminder scheduler is disabled (Meridian:Scheduling:Reminders:Enabled=false)");
            return;
        }
        using var timer = new PeriodicTimer(settings.PollInterval);
        do
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception e) { logger.LogError(e, "Reminder pass failed; trying again in {Interval}", settings.PollInterval); }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass; returns how many reminders it enqueued.</summary>
    internal async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ReminderRun>().PassAsync(ct);
    }
}

/// <summary>
/// The reminder rules applied to the coming appointments. Decisions (docs/guides/administrator.md):
/// only Scheduled appointments that have not started are reminded; a reminder whose time had already passed when the
/// appointment was booked or last moved is skipped (the patient has just arranged it with us); when several reminders of
/// one appointment are overdue at once (the scheduler was stopped), only the latest-due one is sent.
/// </summary>
internal sealed class ReminderRun(
    SchedulingDbContext db, IPatientDirectory patients, IMessageOutbox outbox, IOptions<SchedulingMessagesOptions> options, TimeProvider time,
    ILogger<ReminderRun> logger)
{
    public const string Purpose = "appointment-reminder";

    public async Task<int> PassAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var rules = await db.ReminderRules.AsNoTracking().Where(r => r.Active).ToListAsync(ct);
        if (rules.Count == 0) return 0;
        var horizon = now.AddHours(rules.Max(r => r.HoursBefore));
        var scheduled = nameof(AppointmentStatus.Scheduled);
        var appointments = await db.Appointments.AsNoTracking().Where(a => a.Status == scheduled && a.StartUtc > now && a.StartUtc <= horizon)
            .OrderBy(a => a.StartUtc).ToListAsync(ct);
        var ids = appointments.Select(a => a.Id).ToList();
        var decided = (await db.ReminderLogs.AsNoTracking().Where(l => ids.Contains(l.AppointmentId)).Select(l => new { l.AppointmentId, l.RuleId, l.AppointmentVersion }).ToListAsync(ct))
            .Select(l => (l.AppointmentId, l.RuleId, l.AppointmentVersion)).ToHashSet();
        // Parsed and loaded once per pass, not per appointment: the rules' type lists, and the (few) locations and providers.
        var typesOf = rules.ToDictionary(r => r.Id, r => r.TypeIds().ToHashSet());
        var locations = await db.Locations.AsNoTracking().ToDictionaryAsync(l => l.Id, ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var sent = 0;
        foreach (var a in appointments)
        {
            var due = rules.Where(r => (typesOf[r.Id].Count == 0 || typesOf[r.Id].Contains(a.AppointmentTypeId))
                                       && a.StartUtc.AddHours(-r.HoursBefore) <= now && !decided.Contains((a.Id, r.Id, a.Version)))
                .OrderBy(r => r.HoursBefore).ToList();
            if (due.Count == 0) continue;
            var skipped = new List<(ReminderRule Rule, string Why)>();
            ReminderRule? send = null;
            foreach (var r in due)
            {
                if (a.UpdatedAt > a.StartUtc.AddHours(-r.HoursBefore)) skipped.Add((r, "booked or moved after this reminder's time"));
                else if (send is null) send = r;
                else skipped.Add((r, $"overdue; the later '{send.Name}' reminder was sent instead"));
            }
            if (await DecideAsync(a, send, skipped, locations[a.LocationId], providers[a.ProviderId], now, ct)) sent++;
        }
        return sent;
    }

    private async Task<bool> DecideAsync(Appointment a, ReminderRule? rule, List<(ReminderRule Rule, string Why)> skipped, Location location, string providerName,
        DateTime now, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Another pass (or host) may have decided meanwhile; the unique index would refuse a second row anyway.
        var ruleIds = skipped.Select(s => s.Rule.Id).Append(rule?.Id ?? Guid.Empty).ToList();
        if (await db.ReminderLogs.AnyAsync(l => l.AppointmentId == a.Id && l.AppointmentVersion == a.Version && ruleIds.Contains(l.RuleId), ct)) return false;
        foreach (var (r, why) in skipped)
            db.ReminderLogs.Add(new ReminderLog { Id = TypedIds.NewGuid(time), AppointmentId = a.Id, RuleId = r.Id, AppointmentVersion = a.Version, State = "skipped", Detail = why, CreatedAt = now });
        var enqueued = false;
        if (rule is not null)
        {
            var log = new ReminderLog { Id = TypedIds.NewGuid(time), AppointmentId = a.Id, RuleId = rule.Id, AppointmentVersion = a.Version, CreatedAt = now };
            var patient = await patients.FindAsync(new PatientId(a.PatientId), ct);
            var channel = patient is null ? null : rule.ChannelList().FirstOrDefault(c => PatientContact.Address(patient, c) is not null);
            if (patient is null || channel is null)
            {
                log.State = "skipped";
                log.Detail = "the patient has no address for " + rule.Channels.Replace(",", " or ");
            }
            else
            {
                var zone = Zones.Get(location.TimeZone);
                var local = Zones.ToLocal(a.StartUtc, zone);
                var token = LinkTokens.New();
                db.AppointmentLinks.Add(new AppointmentLink
                {
                    Id = TypedIds.NewGuid(time), AppointmentId = a.Id, AppointmentVersion = a.Version, TokenHash = LinkTokens.Hash(token), CreatedAt = now,
                    ExpiresAt = a.StartUtc + options.Value.Reminders.LinkGrace,
                });
                var values = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["patient.firstName"] = PatientContact.FirstName(patient),
                    ["appointment.date"] = local.ToString("dddd d MMMM"),
                    ["appointment.time"] = local.ToString("h:mm tt"),
                    ["provider.name"] = providerName,
                    ["location.name"] = location.Name,
                    ["location.phone"] = location.Phone ?? "",
                    ["confirmLink"] = $"{options.Value.PublicBaseUrl.TrimEnd('/')}/appointments/confirm/{token}",
                };
                var body = ReminderTemplate.Render(rule.Template, values);
                if (channel == "sms") body += " Reply C to confirm, X to cancel.";
                var practice = options.Value.PracticeName;
                MessageId id;
                try
                {
                id = await outbox.EnqueueAsync(new OutboundMessage(channel == "sms" ? MessageChannel.Sms : MessageChannel.Email, PatientContact.Address(patient, channel)!,
                    channel == "sms" ? null : $"{practice}: your appointment on {local:dddd d MMMM} at {local:h:mm tt}", body, Purpose,
                    $"reminder:{a.Id:D}:{rule.Id:D}:{a.Version}", new PatientId(a.PatientId), new DateTimeOffset(now), location.TimeZone,
                    // A reminder that could not go out before the visit is useless after it.
                    ExpiresAt: new DateTimeOffset(a.StartUtc), Reference: $"{a.Id:D}:{a.Version}"), tx.GetDbTransaction(), ct);
                }
                catch (SharedKernel.Errors.ValidationFailedException e)
                {
                    // A malformed number or address in the record: recorded, and this appointment is not retried every pass.
                    log.State = "skipped";
                    log.Detail = ("the patient's address is not usable: " + e.Message) is var d && d.Length > 200 ? d[..200] : d;
                    db.ReminderLogs.Add(log);
                    await db.SaveChangesAsync(ct);
                    await tx.CommitAsync(ct);
                    db.ChangeTracker.Clear();
                    return false;
                }
                log.Channel = channel;
                log.MessageId = id.Value;
                enqueued = true;
            }
            db.ReminderLogs.Add(log);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        if (!enqueued && rule is not null) logger.LogInformation("Reminder for appointment {Id} not sent: no address on the rule's channels", a.Id);
        return enqueued;
    }
}
