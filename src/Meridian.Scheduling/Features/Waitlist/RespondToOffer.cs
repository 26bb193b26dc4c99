using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.Scheduling.Features.BookAppointment;
using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Meridian.Scheduling.Features.Waitlist;

/// <summary>What became of a patient's answer; Status is the page's HTTP status (200, 404 unknown, 410 no longer valid).</summary>
internal sealed record OfferOutcome(int Status, string Title, string Text, string State, Guid? AppointmentId = null);

/// <summary>
/// A patient answers an offer: by the link (anonymous page) or by SMS reply. The first acceptance books the time through
/// the normal booking rules (same conflict check, same audit), acting as the system on the patient's behalf; later ones are
/// told the time is gone. A decline passes the opening to the next patient at once.
/// </summary>
internal sealed class RespondToOfferHandler(
    SchedulingStore store, BookAppointmentHandler booking, WaitlistOffers offers, IPatientDirectory patients, IMessageOutbox outbox,
    IAuditTrail audit, IOptions<SchedulingMessagesOptions> options, TimeProvider time)
{
    private SchedulingDbContext Db => store.Db;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<WaitlistOffer?> FindByTokenAsync(string token, CancellationToken ct)
    {
        if (!LinkTokens.LooksValid(token)) return null;
        var hash = LinkTokens.Hash(token);
        return await Db.Offers.AsNoTracking().FirstOrDefaultAsync(o => o.TokenHash == hash, ct);
    }

    /// <summary>The page behind the link: the offered time and the patient's first name only.</summary>
    public async Task<IResult> PageAsync(string token, CancellationToken ct)
    {
        var offer = await FindByTokenAsync(token, ct);
        if (offer is null) return Unknown();
        var (when, where, zone) = await DescribeAsync(offer, ct);
        if (offer.State == OfferStates.Pending && offer.ExpiresAt > Now)
        {
            var patient = await patients.FindAsync(new PatientId(offer.PatientId), ct);
            var name = patient is null ? "" : PatientContact.FirstName(patient);
            await audit.RecordAsync(new AuditEntry(AuditAction.Read, "WaitlistOffer", offer.Id.ToString(), offer.PatientId.ToString(), Detail: "offer page opened")
                { UserNameOverride = "patient (offer link)" }, ct);
            return PublicPage.Render(200, $"{options.Value.PracticeName}: an appointment for you",
                $"<p>Hello {PublicPage.E(name)}, a time has become free: <strong>{PublicPage.E(when)}</strong> {PublicPage.E(where)}.</p>" +
                $"<p class=\"text-muted\">This offer ends {PublicPage.E(Ends(offer.ExpiresAt, zone))}. The first patient to accept gets the time.</p>" +
                PublicPage.Button($"/offers/{token}/accept", "Accept this time", "btn-primary") +
                PublicPage.Button($"/offers/{token}/decline", "No, thanks", "btn-outline-secondary"));
        }
        var outcome = Closed(offer, when);
        return PublicPage.Render(outcome.Status, outcome.Title, $"<p>{PublicPage.E(outcome.Text)}</p>");
    }

    public async Task<OfferOutcome> AcceptAsync(WaitlistOffer found, string via, CancellationToken ct)
    {
        var (when, where, _) = await DescribeAsync(found, ct);
        var offer = await Db.Offers.AsNoTracking().FirstAsync(o => o.Id == found.Id, ct);
        if (offer.State == OfferStates.Pending && offer.ExpiresAt <= Now)
        {
            await EndAsync(offer.Id, OfferStates.Expired, "Answered after the offer ended", via, ct);
            return Closed(offer, when, OfferStates.Expired);
        }
        if (offer.State == OfferStates.Superseded)
        {
            // Withdrawn before the patient answered; answering now is a lost race, recorded as such.
            await EndAsync(offer.Id, OfferStates.Lost, "Accepted after the time was taken", via, ct, fromState: OfferStates.Superseded);
            return Closed(offer, when, OfferStates.Lost);
        }
        if (offer.State != OfferStates.Pending) return Closed(offer, when);
        var opening = await Db.Openings.AsNoTracking().FirstAsync(o => o.Id == offer.OpeningId, ct);
        if (opening.State != OpeningStates.Open)
        {
            await EndAsync(offer.Id, OfferStates.Lost, "Accepted after the time was taken", via, ct);
            return Closed(offer, when, OfferStates.Lost);
        }
        var entry = await Db.WaitlistEntries.AsNoTracking().FirstAsync(e => e.Id == offer.EntryId, ct);

        // Deliberately as the system: the caller is an anonymous link or an SMS gateway, and the token (or the matched
        // reply) has just identified the patient. Booking runs the same conflict and availability rules as the front desk's.
        store.ActAsSystem($"waitlist offer ({via})");
        Guid appointmentId;
        try
        {
            var result = await booking.HandleAsync(new BookAppointmentRequest(offer.PatientId, opening.ProviderId, opening.LocationId, entry.AppointmentTypeId,
                new DateTimeOffset(offer.StartUtc), new DateTimeOffset(offer.EndUtc), VisitReason: "Booked from the waitlist",
                Note: $"Accepted by the patient ({via})"), ct);
            appointmentId = result.Appointments[0].Id;
        }
        catch (Exception e) when (e is DoubleBookingException or ConflictException or ValidationFailedException)
        {
            // The front desk (or another patient) booked the time first, or it is no longer bookable.
            await EndAsync(offer.Id, OfferStates.Lost, "The time was no longer free: " + Trim(e.Message), via, ct, closeOpening: true);
            return Closed(offer, when, OfferStates.Lost);
        }

        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        await BookingRules.LockAsync(Db, [$"opening:{opening.Id}"], ct);
        var row = await Db.Offers.FirstAsync(o => o.Id == offer.Id, ct);
        row.State = OfferStates.Accepted;
        row.AppointmentId = appointmentId;
        row.RespondedAt = Now;
        row.Detail = $"Accepted ({via})";
        var entryRow = await Db.WaitlistEntries.FirstAsync(e => e.Id == offer.EntryId, ct);
        entryRow.State = WaitlistStates.Booked;
        entryRow.BookedAppointmentId = appointmentId;
        entryRow.UpdatedAt = Now;
        var openingRow = await Db.Openings.FirstAsync(o => o.Id == opening.Id, ct);
        offers.Close(openingRow, OpeningStates.Filled, "Booked from the waitlist");
        foreach (var other in await Db.Offers.Where(o => o.OpeningId == opening.Id && o.Id != offer.Id && o.State == OfferStates.Pending).ToListAsync(ct))
        {
            other.State = OfferStates.Superseded;
            other.RespondedAt = Now;
            other.Detail = "Another patient accepted first";
            await offers.ReleaseEntryAsync(other.EntryId, other.Id, ct);
            await outbox.CancelAsync($"{WaitlistOffers.Purpose}:{other.Id:D}", tx.GetDbTransaction(), ct);
        }
        await Db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "WaitlistOffer", offer.Id.ToString(), offer.PatientId.ToString(),
            Detail: $"accepted by the patient ({via}); appointment {appointmentId}") { UserNameOverride = "patient (" + via + ")" }, tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        Db.ChangeTracker.Clear();
        return new OfferOutcome(200, "It's yours", $"You are booked for {when} {where}. We look forward to seeing you.", OfferStates.Accepted, appointmentId);
    }

    public async Task<OfferOutcome> DeclineAsync(WaitlistOffer found, string via, CancellationToken ct)
    {
        var (when, _, _) = await DescribeAsync(found, ct);
        var offer = await Db.Offers.AsNoTracking().FirstAsync(o => o.Id == found.Id, ct);
        if (offer.State != OfferStates.Pending || offer.ExpiresAt <= Now) return Closed(offer, when);
        await EndAsync(offer.Id, OfferStates.Declined, $"Declined ({via})", via, ct);
        // Passed on at once rather than at the next pass.
        await offers.FillAsync(offer.OpeningId, ct);
        return new OfferOutcome(200, "Thank you", "We have passed this time on. You stay on our waiting list.", OfferStates.Declined);
    }

    private async Task EndAsync(Guid offerId, string state, string detail, string via, CancellationToken ct, bool closeOpening = false,
        string fromState = OfferStates.Pending)
    {
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        var offer = await Db.Offers.FirstAsync(o => o.Id == offerId, ct);
        await BookingRules.LockAsync(Db, [$"opening:{offer.OpeningId}"], ct);
        await Db.Entry(offer).ReloadAsync(ct);
        if (offer.State != fromState) return;
        offer.State = state;
        offer.RespondedAt = Now;
        offer.Detail = Trim(detail);
        if (fromState == OfferStates.Pending) await offers.ReleaseEntryAsync(offer.EntryId, offer.Id, ct);
        if (closeOpening)
        {
            var opening = await Db.Openings.FirstAsync(o => o.Id == offer.OpeningId, ct);
            if (opening.State == OpeningStates.Open) offers.Close(opening, OpeningStates.Gone, "Booked by someone else first");
        }
        await Db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "WaitlistOffer", offer.Id.ToString(), offer.PatientId.ToString(), Detail: $"{state} ({via})")
            { UserNameOverride = "patient (" + via + ")" }, tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        Db.ChangeTracker.Clear();
    }

    private OfferOutcome Closed(WaitlistOffer offer, string when, string? state = null) => (state ?? offer.State) switch
    {
        OfferStates.Accepted => new(200, "It's yours", $"You already accepted this offer: you are booked for {when}.", offer.State, offer.AppointmentId),
        OfferStates.Declined => new(410, "Offer closed", "You declined this offer, so the time was passed on. You stay on our waiting list.", offer.State),
        OfferStates.Pending or OfferStates.Expired => new(410, "This offer has ended",
            $"Sorry, this offer ended before it was accepted. You stay on our waiting list. Call {options.Value.PracticeName} if you have questions.", OfferStates.Expired),
        var other => new(410, "Sorry, this time is gone", $"{when} has been taken. You stay on our waiting list and we will offer you the next suitable time.", other),
    };

    private async Task<(string When, string Where, NodaTime.DateTimeZone Zone)> DescribeAsync(WaitlistOffer offer, CancellationToken ct)
    {
        var opening = await Db.Openings.AsNoTracking().FirstAsync(o => o.Id == offer.OpeningId, ct);
        return await store.DescribeVisitAsync(opening.ProviderId, opening.LocationId, offer.StartUtc, ct);
    }

    private static string Ends(DateTime utc, NodaTime.DateTimeZone zone) => $"{Zones.ToLocal(utc, zone):h:mm tt} on {Zones.ToLocal(utc, zone):d MMMM}";

    private static string Trim(string s) => s.Length <= 180 ? s : s[..180];

    private static IResult Unknown() =>
        PublicPage.Render(404, "Offer not found", "<p>This link is not valid. Check that you copied the whole link from the message, or call the practice.</p>");

    /// <summary>Anonymous pages: the token in the path is the authority (see PublicPage). Not under /api.</summary>
    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/offers/{token}", (string token, RespondToOfferHandler h, CancellationToken ct) => h.PageAsync(token, ct)).AllowAnonymous();
        app.MapPost("/offers/{token}/accept", async (string token, RespondToOfferHandler h, CancellationToken ct) =>
                await h.AnswerPageAsync(token, accept: true, ct))
            .AllowAnonymous().DisableAntiforgery();
        app.MapPost("/offers/{token}/decline", async (string token, RespondToOfferHandler h, CancellationToken ct) =>
                await h.AnswerPageAsync(token, accept: false, ct))
            .AllowAnonymous().DisableAntiforgery();
    }

    // Antiforgery is off for these two forms on purpose: there is no session to ride on (the patient is not signed in), and a
    // forged POST would need the secret token, which is all the authority the form carries.
    private async Task<IResult> AnswerPageAsync(string token, bool accept, CancellationToken ct)
    {
        var offer = await FindByTokenAsync(token, ct);
        if (offer is null) return Unknown();
        var outcome = accept ? await AcceptAsync(offer, "offer link", ct) : await DeclineAsync(offer, "offer link", ct);
        return PublicPage.Render(outcome.Status, outcome.Title, $"<p>{PublicPage.E(outcome.Text)}</p>");
    }
}

/// <summary>SMS replies to an offer text: YES/Y accepts, NO/N declines, anything else gets a short help answer.</summary>
internal sealed class WaitlistOfferReplies(RespondToOfferHandler responder, SchedulingDbContext db, IOptions<SchedulingMessagesOptions> options) : IInboundMessageHandler
{
    public string Purpose => WaitlistOffers.Purpose;

    public async Task<string?> HandleAsync(InboundReply reply, CancellationToken ct)
    {
        if (reply.InReplyTo?.Reference is not { } reference || !Guid.TryParse(reference, out var offerId)) return null;
        var offer = await db.Offers.AsNoTracking().FirstOrDefaultAsync(o => o.Id == offerId, ct);
        if (offer is null) return null;
        var word = reply.Body.Trim().TrimEnd('.', '!').ToUpperInvariant();
        var practice = options.Value.PracticeName;
        OfferOutcome outcome;
        if (word is "YES" or "Y") outcome = await responder.AcceptAsync(offer, "SMS reply", ct);
        else if (word is "NO" or "N") outcome = await responder.DeclineAsync(offer, "SMS reply", ct);
        else return $"{practice}: reply YES to take the offered appointment or NO to pass.";
        return $"{practice}: {outcome.Text}";
    }
}
