using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.Scheduling.Features.ChangeAppointment;
using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Meridian.Scheduling.Features.Reminders;

/// <summary>What a patient's confirm or cancel did; Status is the page's HTTP status.</summary>
internal sealed record ConfirmOutcome(int Status, string Title, string Text);

/// <summary>
/// The patient confirms or cancels from a reminder: the link in it (anonymous page, token per appointment version) or an SMS
/// reply (C / X). Acts as the system on the patient's behalf; a cancellation goes through the normal cancel path, so the
/// freed time feeds the waitlist and the reminders still pending are cancelled.
/// </summary>
internal sealed class ConfirmAppointmentHandler(
    SchedulingStore store, CancelAppointmentHandler cancel, IPatientDirectory patients, IAuditTrail audit, IOptions<SchedulingMessagesOptions> options,
    TimeProvider time)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<ConfirmOutcome> ConfirmAsync(Guid appointmentId, int version, string via, CancellationToken ct)
    {
        if (await StaleAsync(appointmentId, version, ct) is { } stale) return stale;
        store.ActAsSystem($"patient ({via})");
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var a = await db.Appointments.FirstAsync(x => x.Id == appointmentId, ct);
        if (a.Version != version || a.State != AppointmentStatus.Scheduled) return Changed();
        var (when, where) = await DescribeAsync(a, ct);
        if (a.ConfirmedAt is not null) return new(200, "Already confirmed", $"Your appointment on {when} {where} is confirmed. See you then.");
        // ConfirmedAt only: the version stays, so the reminders and links of this booking stay valid.
        a.ConfirmedAt = Now;
        store.History(a, "confirmed", $"confirmed by the patient ({via})");
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Appointment", a.Id.ToString(), a.PatientId.ToString(), Detail: $"confirmed ({via})")
            { UserNameOverride = $"patient ({via})" }, tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return new(200, "Thank you, you are confirmed", $"Your appointment on {when} {where} is confirmed. See you then.");
    }

    public async Task<ConfirmOutcome> CancelAsync(Guid appointmentId, int version, string via, CancellationToken ct)
    {
        if (await StaleAsync(appointmentId, version, ct) is { } stale) return stale;
        store.ActAsSystem($"patient ({via})");
        var a = await store.Db.Appointments.AsNoTracking().FirstAsync(x => x.Id == appointmentId, ct);
        var (when, where) = await DescribeAsync(a, ct);
        try { await cancel.CancelByPatientAsync(appointmentId, via, ct); }
        catch (Exception e) when (e is ConflictException or PreconditionFailedException) { return Changed(); }
        return new(200, "Your appointment is cancelled", $"We have cancelled your appointment on {when} {where}. Call us to book another time.");
    }

    /// <summary>The link's page: first name and time only, with Confirm / Cancel.</summary>
    public async Task<IResult> PageAsync(string token, CancellationToken ct)
    {
        var link = await FindAsync(token, ct);
        if (link is null) return Unknown();
        if (await StaleAsync(link.AppointmentId, link.AppointmentVersion, ct) is { } stale) return PublicPage.Render(stale.Status, stale.Title, $"<p>{PublicPage.E(stale.Text)}</p>");
        var a = await store.Db.Appointments.AsNoTracking().FirstAsync(x => x.Id == link.AppointmentId, ct);
        var patient = await patients.FindAsync(new PatientId(a.PatientId), ct);
        var (when, where) = await DescribeAsync(a, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Appointment", a.Id.ToString(), a.PatientId.ToString(), Detail: "confirm page opened")
            { UserNameOverride = "patient (reminder link)" }, ct);
        return PublicPage.Render(200, $"{options.Value.PracticeName}: your appointment",
            $"<p>Hello {PublicPage.E(patient is null ? "" : PatientContact.FirstName(patient))}, your appointment is on <strong>{PublicPage.E(when)}</strong> {PublicPage.E(where)}.</p>" +
            (a.ConfirmedAt is not null ? "<p class=\"text-success\">You have confirmed it. Thank you.</p>" : "") +
            PublicPage.Button($"/appointments/confirm/{token}/confirm", "Confirm", "btn-primary") +
            PublicPage.Button($"/appointments/confirm/{token}/cancel", "Cancel the appointment", "btn-outline-danger"));
    }

    private async Task<IResult> AnswerPageAsync(string token, bool confirm, CancellationToken ct)
    {
        var link = await FindAsync(token, ct);
        if (link is null) return Unknown();
        var outcome = confirm ? await ConfirmAsync(link.AppointmentId, link.AppointmentVersion, "reminder link", ct)
            : await CancelAsync(link.AppointmentId, link.AppointmentVersion, "reminder link", ct);
        return PublicPage.Render(outcome.Status, outcome.Title, $"<p>{PublicPage.E(outcome.Text)}</p>");
    }

    private async Task<AppointmentLink?> FindAsync(string token, CancellationToken ct)
    {
        if (!LinkTokens.LooksValid(token)) return null;
        var hash = LinkTokens.Hash(token);
        var link = await store.Db.AppointmentLinks.AsNoTracking().FirstOrDefaultAsync(l => l.TokenHash == hash, ct);
        return link is null || link.ExpiresAt <= Now ? null : link;
    }

    private async Task<ConfirmOutcome?> StaleAsync(Guid appointmentId, int version, CancellationToken ct)
    {
        var a = await store.Db.Appointments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == appointmentId, ct);
        if (a is null) return new(404, "Appointment not found", "This link is not valid. Call the practice.");
        if (a.State == AppointmentStatus.Cancelled) return new(410, "This appointment is cancelled", "This appointment was cancelled. Call us to book another time.");
        if (a.Version != version || a.State != AppointmentStatus.Scheduled || a.StartUtc <= Now) return Changed();
        return null;
    }

    private ConfirmOutcome Changed() =>
        new(410, "This appointment has changed", $"This appointment has changed since that message was sent. Call {options.Value.PracticeName} if you are unsure of your time.");

    private async Task<(string When, string Where)> DescribeAsync(Appointment a, CancellationToken ct)
    {
        var (when, where, _) = await store.DescribeVisitAsync(a.ProviderId, a.LocationId, a.StartUtc, ct);
        return (when, where);
    }

    private static IResult Unknown() =>
        PublicPage.Render(404, "Link not found", "<p>This link is not valid or has expired. Check that you copied the whole link, or call the practice.</p>");

    /// <summary>Anonymous pages; see PublicPage for why the token is the authority and antiforgery is off.</summary>
    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/appointments/confirm/{token}", (string token, ConfirmAppointmentHandler h, CancellationToken ct) => h.PageAsync(token, ct)).AllowAnonymous();
        app.MapPost("/appointments/confirm/{token}/confirm", (string token, ConfirmAppointmentHandler h, CancellationToken ct) => h.AnswerPageAsync(token, true, ct))
            .AllowAnonymous().DisableAntiforgery();
        app.MapPost("/appointments/confirm/{token}/cancel", (string token, ConfirmAppointmentHandler h, CancellationToken ct) => h.AnswerPageAsync(token, false, ct))
            .AllowAnonymous().DisableAntiforgery();
    }
}

/// <summary>SMS replies to a reminder: C confirms, X cancels (the freed time goes to the waitlist), anything else gets help.</summary>
internal sealed class ReminderReplies(ConfirmAppointmentHandler confirm, IOptions<SchedulingMessagesOptions> options) : IInboundMessageHandler
{
    public string Purpose => ReminderRun.Purpose;

    public async Task<string?> HandleAsync(InboundReply reply, CancellationToken ct)
    {
        // Reference = "{appointmentId}:{version}" (set by ReminderRun).
        if (reply.InReplyTo?.Reference?.Split(':') is not [var idText, var versionText] || !Guid.TryParse(idText, out var id) || !int.TryParse(versionText, out var version))
            return null;
        var practice = options.Value.PracticeName;
        var word = reply.Body.Trim().TrimEnd('.', '!').ToUpperInvariant();
        ConfirmOutcome outcome;
        if (word is "C" or "CONFIRM") outcome = await confirm.ConfirmAsync(id, version, "SMS reply", ct);
        else if (word is "X" or "CANCEL") outcome = await confirm.CancelAsync(id, version, "SMS reply", ct);
        else return $"{practice}: reply C to confirm your appointment or X to cancel it. To change it, call us.";
        return $"{practice}: {outcome.Text}";
    }
}
