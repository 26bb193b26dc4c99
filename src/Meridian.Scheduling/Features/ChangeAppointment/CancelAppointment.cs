using Meridian.Audit.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.ChangeAppointment;

/// <summary>
/// Cancel with a reason, or record a no-show. Scope "series-from-here" cancels this occurrence and every later one of
/// its series; other occurrences are untouched otherwise. The freed time goes to the waitlist in the same transaction.
/// </summary>
public sealed record CancelRequest(string Reason, int? ExpectedVersion = null, string Scope = "this");

internal sealed class CancelAppointmentHandler(
    SchedulingStore store,
    IAuditTrail audit,
    AppointmentViews views,
    ScheduleChanges changes,
    IEnumerable<IOpeningListener> openings)
{
    public async Task<IReadOnlyList<AppointmentView>> CancelAsync(Guid id, CancelRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        var v = new Validator();
        if (string.IsNullOrWhiteSpace(r.Reason)) v.Add("reason", "Say why the appointment is cancelled.");
        else if (r.Reason.Length > Limits.Text) v.Add("reason", $"At most {Limits.Text} characters.");
        if (r.Scope is not ("this" or "series-from-here")) v.Add("scope", "Use this or series-from-here.");
        v.ThrowIfInvalid();
        return await EndAsync(id, AppointmentStatus.Cancelled, r.Reason.Trim(), r.ExpectedVersion, r.Scope == "series-from-here", ct);
    }

    public async Task<AppointmentView> NoShowAsync(Guid id, int? expectedVersion, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        return (await EndAsync(id, AppointmentStatus.NoShow, null, expectedVersion, false, ct))[0];
    }

    /// <summary>Cancellation by the patient (an SMS reply X, the link in a reminder): the same path, the patient as the reason.</summary>
    internal Task<IReadOnlyList<AppointmentView>> CancelByPatientAsync(Guid id, string how, CancellationToken ct) =>
        EndAsync(id, AppointmentStatus.Cancelled, $"cancelled by the patient ({how})", null, false, ct);

    private async Task<IReadOnlyList<AppointmentView>> EndAsync(Guid id, AppointmentStatus to, string? reason, int? expectedVersion, bool restOfSeries, CancellationToken ct)
    {
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var a = await store.AppointmentForChangeAsync(id, expectedVersion, ct);
        if (to == AppointmentStatus.Cancelled && a.State is not (AppointmentStatus.Scheduled or AppointmentStatus.Arrived))
            throw new ConflictException($"This appointment is {a.Status}; it can no longer be cancelled.");
        if (to == AppointmentStatus.NoShow)
        {
            if (a.State is not AppointmentStatus.Scheduled) throw new ConflictException($"This appointment is {a.Status}; only a scheduled appointment can be a no-show.");
            if (a.StartUtc > store.UtcNow) throw new ConflictException("The appointment has not started yet; it cannot be a no-show.");
        }
        var targets = new List<Appointment> { a };
        if (restOfSeries && a.SeriesId is { } series)
            targets.AddRange(await db.Appointments.Where(x => x.SeriesId == series && x.StartUtc > a.StartUtc && x.Status == nameof(AppointmentStatus.Scheduled)).ToListAsync(ct));
        var now = store.UtcNow;
        foreach (var t in targets)
        {
            t.Status = to.ToString();
            t.StatusChangedAt = now;
            t.CancelReason = reason;
            store.Touch(t);
            store.History(t, to == AppointmentStatus.NoShow ? "no-show" : "cancelled", reason);
        }
        await store.SaveAsync(ct);
        var dbTx = tx.GetDbTransaction();
        await audit.RecordManyAsync(targets.Select(t => new AuditEntry(AuditAction.Update, "Appointment", t.Id.ToString(), t.PatientId.ToString(),
            Detail: to == AppointmentStatus.NoShow ? "no-show" : $"cancelled: {reason}")).ToList(), dbTx, ct);
        // Time freed ahead of now can still be used by someone on the waitlist.
        foreach (var t in targets.Where(t => t.StartUtc > now))
            foreach (var listener in openings) await listener.OnTimeFreedAsync(t, t.StartUtc, t.EndUtc, dbTx, ct);
        await tx.CommitAsync(ct);
        foreach (var t in targets) changes.Publish(new ScheduleChange(t.Id, t.LocationId, t.ProviderId, t.Status, t.StartUtc, now));
        return await views.ManyAsync(targets, ct);
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/scheduling/appointments/{id:guid}/cancel", async (Guid id, CancelRequest request, CancelAppointmentHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.CancelAsync(id, request, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Appointment"));
        app.MapPost("/api/scheduling/appointments/{id:guid}/no-show", async (Guid id, int? version, CancelAppointmentHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.NoShowAsync(id, version, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Appointment"));
    }
}
