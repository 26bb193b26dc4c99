using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Scheduling.Features.Waitlist;

/// <summary>
/// Background service: expires unanswered offers and offers open time to the best-matching waiting patients. Each pass is
/// <see cref="RunOnceAsync"/> (tests call it directly with the offerer disabled); state lives in the database, so a restart
/// loses nothing and a pass can run again without offering twice.
/// </summary>
internal sealed class WaitlistOfferer(
    IServiceScopeFactory scopes, WaitlistSignal signal, IOptions<SchedulingMessagesOptions> options, ILogger<WaitlistOfferer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Waitlist;
        if (!settings.Enabled)
        {
            logger.LogInformation("The waitlist offerer is disabled (Meridian:Scheduling:Waitlist:Enabled=false)");
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception e) { logger.LogError(e, "Waitlist pass failed; trying again in {Interval}", settings.PollInterval); }
            try { await signal.WaitAsync(settings.PollInterval, stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
        }
    }

    /// <summary>One pass: expire, then fill every open opening. Returns how many offers it made.</summary>
    internal async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<WaitlistOffers>().PassAsync(ct);
    }
}

/// <summary>The offer rules, shared by the background pass and by a decline (which moves on at once).</summary>
internal sealed class WaitlistOffers(
    SchedulingDbContext db, IPatientDirectory patients, IMessageOutbox outbox, IAuditTrail audit,
    IOptions<SchedulingMessagesOptions> options, TimeProvider time, ILogger<WaitlistOffers> logger)
{
    public const string Purpose = "waitlist-offer";
    private SchedulingMessagesOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<int> PassAsync(CancellationToken ct)
    {
        var now = Now;
        var due = await db.Offers.AsNoTracking().Where(o => o.State == OfferStates.Pending && o.ExpiresAt <= now).Select(o => o.Id).ToListAsync(ct);
        foreach (var id in due) await ExpireAsync(id, ct);
        var open = await db.Openings.AsNoTracking().Where(o => o.State == OpeningStates.Open).OrderBy(o => o.StartUtc).Select(o => o.Id).ToListAsync(ct);
        var made = 0;
        foreach (var id in open) made += await FillAsync(id, ct);
        return made;
    }

    private async Task ExpireAsync(Guid offerId, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var offer = await db.Offers.FirstAsync(o => o.Id == offerId, ct);
        await BookingRules.LockAsync(db, [$"opening:{offer.OpeningId}"], ct);
        await db.Entry(offer).ReloadAsync(ct);
        if (offer.State != OfferStates.Pending) return;
        offer.State = OfferStates.Expired;
        offer.RespondedAt = Now;
        offer.Detail = "Not answered in time";
        await ReleaseEntryAsync(offer.EntryId, offer.Id, ct);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "WaitlistOffer", offer.Id.ToString(), offer.PatientId.ToString(), Detail: "offer expired"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
    }

    /// <summary>An entry whose offer ended without a booking waits again (unless it has another offer out).</summary>
    internal async Task ReleaseEntryAsync(Guid entryId, Guid endedOfferId, CancellationToken ct)
    {
        var entry = await db.WaitlistEntries.FirstAsync(e => e.Id == entryId, ct);
        if (entry.State != WaitlistStates.Offered) return;
        var otherPending = await db.Offers.AnyAsync(o => o.EntryId == entryId && o.Id != endedOfferId && o.State == OfferStates.Pending, ct);
        if (otherPending) return;
        entry.State = WaitlistStates.Waiting;
        entry.UpdatedAt = Now;
    }

    /// <summary>Tops up an open opening's offers to the configured number. Returns how many offers it made.</summary>
    public async Task<int> FillAsync(Guid openingId, CancellationToken ct)
    {
        var now = Now;
        var settings = Options.Waitlist;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Accepting, declining, expiring and filling one opening take turns (PostgreSQL advisory lock; SQLite has one writer).
        await BookingRules.LockAsync(db, [$"opening:{openingId}"], ct);
        var opening = await db.Openings.FirstAsync(o => o.Id == openingId, ct);
        if (opening.State != OpeningStates.Open) return 0;
        var location = await db.Locations.AsNoTracking().FirstAsync(l => l.Id == opening.LocationId, ct);
        var zone = Zones.Get(location.TimeZone);
        var offers = await db.Offers.Where(o => o.OpeningId == openingId).ToListAsync(ct);
        var pending = offers.Where(o => o.State == OfferStates.Pending).ToList();

        // Someone booked the time meanwhile (the front desk, or an offered patient whose acceptance was interrupted).
        var taken = await BookingRules.FindConflictsAsync(db, opening.ProviderId, Guid.Empty, null, opening.StartUtc, opening.EndUtc, [], ct);
        if (taken.Count > 0)
        {
            var takers = await db.Appointments.AsNoTracking().Where(a => taken.Select(t => t.AppointmentId).Contains(a.Id)).ToListAsync(ct);
            foreach (var o in pending)
            {
                var mine = takers.FirstOrDefault(a => a.PatientId == o.PatientId);
                o.State = mine is null ? OfferStates.Superseded : OfferStates.Accepted;
                o.AppointmentId = mine?.Id;
                o.RespondedAt = now;
                o.Detail = mine is null ? "The time was booked by someone else" : "Booked for this patient";
                if (mine is null) await ReleaseEntryAsync(o.EntryId, o.Id, ct);
                else (await db.WaitlistEntries.FirstAsync(e => e.Id == o.EntryId, ct)).State = WaitlistStates.Booked;
                await outbox.CancelAsync($"{Purpose}:{o.Id:D}", tx.GetDbTransaction(), ct);
            }
            var filled = pending.Any(o => o.State == OfferStates.Accepted);
            Close(opening, filled ? OpeningStates.Filled : OpeningStates.Gone, filled ? "Booked from the waitlist" : "Booked by someone else first");
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return 0;
        }

        var expiresAt = Min(now + settings.OfferLifetime, opening.StartUtc - settings.ClaimCutoff);
        if (expiresAt <= now.AddMinutes(5))
        {
            if (pending.Count == 0)
            {
                Close(opening, OpeningStates.Closed, "Too close to its start to offer");
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            db.ChangeTracker.Clear();
            return 0;
        }
        if (pending.Count >= settings.OffersPerOpening || InQuietHours(now, zone, settings)) { db.ChangeTracker.Clear(); return 0; }

        var candidates = await CandidatesAsync(opening, zone, offers.Select(o => o.EntryId).ToHashSet(), ct);
        var made = 0;
        var practice = Options.PracticeName;
        var provider = await db.Providers.AsNoTracking().FirstAsync(p => p.Id == opening.ProviderId, ct);
        foreach (var (entry, type) in candidates)
        {
            if (pending.Count + made >= settings.OffersPerOpening) break;
            var patient = await patients.FindAsync(new PatientId(entry.PatientId), ct);
            if (patient is null || !patient.Active || patient.MergedInto is not null || patient.Details.DeceasedDate is not null) continue;
            // The patient's preferred channel, else the other one: an offer nobody can receive helps no one.
            var channel = entry.Channel;
            var to = PatientContact.Address(patient, channel);
            if (to is null) { channel = channel == "sms" ? "email" : "sms"; to = PatientContact.Address(patient, channel); }
            if (to is null) continue;
            var start = opening.StartUtc;
            var end = start.AddMinutes(type.DurationMinutes);
            var token = LinkTokens.New();
            var offer = new WaitlistOffer
            {
                Id = TypedIds.NewGuid(time), OpeningId = opening.Id, EntryId = entry.Id, PatientId = entry.PatientId, TokenHash = LinkTokens.Hash(token),
                Channel = channel, StartUtc = start, EndUtc = end, CreatedAt = now, ExpiresAt = expiresAt,
            };
            var local = Zones.ToLocal(start, zone);
            var until = Zones.ToLocal(expiresAt, zone);
            var link = $"{Options.PublicBaseUrl.TrimEnd('/')}/offers/{token}";
            var when = $"{local:dddd d MMMM} at {local:h:mm tt}";
            var body = channel == "sms"
                ? $"{practice}: an earlier {type.Name} appointment is free with {provider.Name} on {when} at {location.Name}. " +
                  $"Reply YES to take it or NO to pass, or open {link} . Offer ends {until:h:mm tt}."
                : $"Hello {PatientContact.FirstName(patient)},\n\nA {type.Name} appointment has become free with {provider.Name} on {when} at {location.Name}. " +
                  $"You are on our waiting list, so we are offering it to you.\n\nTake it or pass: {link}\n\nThe offer ends at {until:h:mm tt} on {until:d MMMM}; " +
                  $"the first patient to accept gets the time.\n\n{practice}";
            try
            {
                var id = await outbox.EnqueueAsync(new OutboundMessage(channel == "sms" ? MessageChannel.Sms : MessageChannel.Email, to,
                    channel == "sms" ? null : $"{practice}: an appointment is free on {local:ddd d MMM} at {local:h:mm tt}", body, Purpose,
                    $"{Purpose}:{offer.Id:D}", new PatientId(entry.PatientId), new DateTimeOffset(now), location.TimeZone,
                    ExpiresAt: new DateTimeOffset(expiresAt), Reference: offer.Id.ToString()), tx.GetDbTransaction(), ct);
                offer.MessageId = id.Value;
            }
            catch (ValidationFailedException e)
            {
                // A malformed phone number or address in the record: skip this patient, the next one may be reachable.
                logger.LogWarning("Waitlist entry {Entry}: no offer sent, the {Channel} address is not usable ({Error})", entry.Id, channel, e.Message);
                continue;
            }
            db.Offers.Add(offer);
            entry.State = WaitlistStates.Offered;
            entry.UpdatedAt = now;
            opening.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(new AuditEntry(AuditAction.Create, "WaitlistOffer", offer.Id.ToString(), entry.PatientId.ToString(),
                Detail: $"offered {local:yyyy-MM-dd HH:mm} {type.Name} with {provider.Name} by {channel}, until {until:HH:mm}"), tx.GetDbTransaction(), ct);
            made++;
        }
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return made;
    }

    /// <summary>
    /// Waiting entries the opening suits, best first: priority (1 before 3), then the longest wait. A type fits when the
    /// provider offers it and it is no longer than the freed time; the patient must be free then.
    /// </summary>
    private async Task<List<(WaitlistEntry Entry, AppointmentType Type)>> CandidatesAsync(FreedTime opening, NodaTime.DateTimeZone zone, HashSet<Guid> alreadyOffered, CancellationToken ct)
    {
        var length = (opening.EndUtc - opening.StartUtc).TotalMinutes;
        var types = (await db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).Where(t => t.Active && t.DurationMinutes <= length).ToListAsync(ct))
            .Where(t => t.Providers.Count == 0 || t.Providers.Any(p => p.ProviderId == opening.ProviderId)).ToDictionary(t => t.Id);
        var typeIds = types.Keys.ToList();
        var entries = await db.WaitlistEntries.Where(e => e.State == WaitlistStates.Waiting && typeIds.Contains(e.AppointmentTypeId) && e.PatientId != opening.SourcePatientId)
            .OrderBy(e => e.Priority).ThenBy(e => e.CreatedAt).ToListAsync(ct);
        var fitting = entries.Where(e => !alreadyOffered.Contains(e.Id))
            .Select(e => (Entry: e, Type: types[e.AppointmentTypeId], End: opening.StartUtc.AddMinutes(types[e.AppointmentTypeId].DurationMinutes)))
            .Where(x => WaitlistMatching.Fits(x.Entry, opening.ProviderId, opening.StartUtc, x.End, zone)).ToList();
        if (fitting.Count == 0) return [];
        // The patient must be free then: one query for every fitting patient's visits around the opening, not one per entry.
        var patientIds = fitting.Select(x => x.Entry.PatientId).Distinct().ToList();
        var latestEnd = fitting.Max(x => x.End);
        var earliest = opening.StartUtc - BookingRules.MaxLength;
        var visits = await db.Appointments.AsNoTracking().Where(a => patientIds.Contains(a.PatientId) && a.StartUtc < latestEnd && a.StartUtc > earliest
                && a.EndUtc > opening.StartUtc && !BookingRules.Ended.Contains(a.Status))
            .Select(a => new { a.PatientId, a.StartUtc }).ToListAsync(ct);
        return fitting.Where(x => !visits.Any(v => v.PatientId == x.Entry.PatientId && v.StartUtc < x.End))
            .Select(x => (x.Entry, x.Type)).ToList();
    }

    private static bool InQuietHours(DateTime now, NodaTime.DateTimeZone zone, SchedulingMessagesOptions.WaitlistSettings s)
    {
        var t = TimeOnly.FromDateTime(Zones.ToLocal(now, zone).DateTime);
        return s.QuietStart > s.QuietEnd ? t >= s.QuietStart || t < s.QuietEnd : t >= s.QuietStart && t < s.QuietEnd;
    }

    internal void Close(FreedTime opening, string state, string detail)
    {
        opening.State = state;
        opening.Detail = detail;
        opening.UpdatedAt = Now;
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}
