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
/// Move an appointment (another time, provider or room) under the same rules as booking. Version is the one the
/// screen showed: a move based on a stale view gets 412. One occurrence of a series moves alone.
/// </summary>
public sealed record RescheduleRequest(DateTimeOffset Start, DateTimeOffset? End = null, Guid? ProviderId = null, Guid? ResourceId = null,
    int? ExpectedVersion = null, bool AllowConflict = false, string? Reason = null);

internal sealed class RescheduleAppointmentHandler(
    SchedulingStore store,
    IAuditTrail audit,
    AppointmentViews views,
    ScheduleChanges changes,
    IEnumerable<IOpeningListener> openings)
{
    public async Task<AppointmentView> HandleAsync(Guid id, RescheduleRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        if (r.AllowConflict) store.Require(Permissions.ScheduleOverride);
        var db = store.Db;
        var current = await db.Appointments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct)
                      ?? throw new NotFoundException($"Appointment {id} was not found.");
        if (current.State is not AppointmentStatus.Scheduled)
            throw new ConflictException($"Only a scheduled appointment can be moved; this one is {current.Status}.");
        var v = new Validator();
        var providerId = r.ProviderId ?? current.ProviderId;
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == providerId, ct);
        if (provider is not { Active: true }) v.Add("providerId", "Choose an active provider.");
        var type = await store.TypeAsync(current.AppointmentTypeId, ct);
        if (providerId != current.ProviderId && type.Providers.Count > 0 && type.Providers.All(p => p.ProviderId != providerId))
            v.Add("providerId", $"{provider?.Name} does not offer {type.Name} appointments.");
        var location = await store.LocationAsync(current.LocationId, ct);
        var start = r.Start.UtcDateTime;
        var end = r.End?.UtcDateTime ?? start + (current.EndUtc - current.StartUtc);
        SlotRules.ValidateTimes(start, end, store.UtcNow, v);
        Resource? resource = null;
        var resourceId = r.ResourceId ?? (type.RequiredKinds().Count > 0 ? null : current.ResourceId);
        if (r.ResourceId is { } rid)
        {
            resource = await db.Resources.AsNoTracking().FirstOrDefaultAsync(x => x.Id == rid, ct);
            if (resource is not { Active: true } || resource.LocationId != current.LocationId) v.Add("resourceId", "Choose an active room or resource at this location.");
        }
        else if (resourceId is { } keep) resource = await db.Resources.AsNoTracking().FirstOrDefaultAsync(x => x.Id == keep, ct);
        if (r.Reason?.Length > Limits.Text) v.Add("reason", $"At most {Limits.Text} characters.");
        v.ThrowIfInvalid();

        var pool = type.RequiredKinds().FirstOrDefault();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await BookingRules.LockAsync(db, BookAppointment.BookAppointmentHandler.Holders(providerId, current.PatientId, resource?.Id, pool is null ? null : $"{location.Id}:{pool}"), ct);
        var a = await store.AppointmentForChangeAsync(id, r.ExpectedVersion, ct);
        var window = await AvailabilityWindow.LoadAsync(db, providerId, location, start, end, ct);
        var problem = await SlotRules.CheckAsync(db, window, providerId, a.PatientId, start, end, resource, resource is null ? pool : null, location, [a.Id], ct);
        var zone = Zones.Get(location.TimeZone);
        if (!r.AllowConflict)
        {
            if (problem.Conflicts.Count > 0) throw new DoubleBookingException(problem.Conflicts);
            if (problem.OutsideHours) throw new ValidationFailedException(new Dictionary<string, string[]> { ["start"] = [SlotRules.OutsideHoursMessage(start, zone, provider!.Name)] },
                SlotRules.OutsideHoursMessage(start, zone, provider!.Name));
            if (problem.NoFreeResource is { } kind) throw new ConflictException($"No {kind} is free at {location.Name} then. Choose another time.");
        }
        var (oldStart, oldEnd) = (a.StartUtc, a.EndUtc);
        var detail = $"from {Zones.ToLocal(oldStart, zone):yyyy-MM-dd HH:mm} to {Zones.ToLocal(start, zone):yyyy-MM-dd HH:mm}" +
                     (providerId != a.ProviderId ? $", provider {provider!.Name}" : "") + (r.Reason is { Length: > 0 } ? $" ({r.Reason})" : "");
        var overridden = r.AllowConflict && (problem.Conflicts.Count > 0 || problem.OutsideHours || problem.NoFreeResource is not null);
        a.StartUtc = start;
        a.EndUtc = end;
        a.ProviderId = providerId;
        a.ResourceId = resource?.Id ?? problem.AssignedResource;
        a.ConflictOverride = overridden;
        a.ConfirmedAt = null; // a moved appointment needs a fresh confirmation
        store.Touch(a);
        store.History(a, "rescheduled", overridden ? $"{detail}; override: {SlotRules.Describe(problem)}" : detail);
        await store.SaveAsync(ct);
        var dbTx = tx.GetDbTransaction();
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Appointment", a.Id.ToString(), a.PatientId.ToString(), Detail: "rescheduled " + detail), dbTx, ct);
        foreach (var listener in openings) await listener.OnTimeFreedAsync(a, oldStart, oldEnd, dbTx, ct);
        await tx.CommitAsync(ct);
        changes.Publish(new ScheduleChange(a.Id, a.LocationId, a.ProviderId, "rescheduled", a.StartUtc, store.UtcNow));
        return await views.OneAsync(a, ct);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/scheduling/appointments/{id:guid}/reschedule", async (Guid id, RescheduleRequest request, RescheduleAppointmentHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(id, request, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Appointment"));
}
