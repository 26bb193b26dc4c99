using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.BookAppointment;

/// <summary>
/// Book one appointment, or a recurring series. End defaults to the type's duration. AllowConflict books over a double
/// booking or outside open hours and needs the override permission; it is recorded on the appointment and audited.
/// </summary>
public sealed record BookAppointmentRequest(
    Guid PatientId,
    Guid ProviderId,
    Guid LocationId,
    Guid AppointmentTypeId,
    DateTimeOffset Start,
    DateTimeOffset? End = null,
    Guid? ResourceId = null,
    string? VisitReason = null,
    string? Note = null,
    bool AllowConflict = false,
    RecurrenceRequest? Recurrence = null,
    bool SkipConflictingOccurrences = false);

public sealed record BookingResult(IReadOnlyList<AppointmentView> Appointments, IReadOnlyList<SkippedOccurrence> Skipped);

/// <summary>An occurrence of a series left out because its time was taken (only with SkipConflictingOccurrences).</summary>
public sealed record SkippedOccurrence(DateTimeOffset Start, string Reason);

internal sealed class BookAppointmentHandler(
    SchedulingStore store,
    IPatientDirectory patients,
    IAuditTrail audit,
    ScheduleChanges changes,
    TimeProvider time)
{
    public async Task<BookingResult> HandleAsync(BookAppointmentRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        if (r.AllowConflict) store.Require(Permissions.ScheduleOverride);
        var db = store.Db;
        var v = new Validator();
        var type = await db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).FirstOrDefaultAsync(t => t.Id == r.AppointmentTypeId, ct);
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == r.ProviderId, ct);
        var location = await db.Locations.AsNoTracking().FirstOrDefaultAsync(l => l.Id == r.LocationId, ct);
        if (type is not { Active: true }) v.Add("appointmentTypeId", "Choose an active appointment type.");
        if (provider is not { Active: true }) v.Add("providerId", "Choose an active provider.");
        if (location is not { Active: true }) v.Add("locationId", "Choose an active location.");
        if (type is { Providers.Count: > 0 } && !type.Providers.Any(p => p.ProviderId == r.ProviderId))
            v.Add("appointmentTypeId", $"{provider?.Name ?? "This provider"} does not offer {type.Name} appointments.");
        var start = r.Start.UtcDateTime;
        var end = r.End?.UtcDateTime ?? (type is null ? start : start.AddMinutes(type.DurationMinutes));
        SlotRules.ValidateTimes(start, end, time.GetUtcNow().UtcDateTime, v);
        var patient = await patients.FindAsync(new PatientId(r.PatientId), ct);
        if (patient is null) v.Add("patientId", "No such patient.");
        else if (patient.MergedInto is not null) v.Add("patientId", "This record was merged into another patient; book for the surviving record.");
        else if (!patient.Active || patient.Details.DeceasedDate is not null) v.Add("patientId", "This patient's record is inactive.");
        Resource? resource = null;
        if (r.ResourceId is { } rid)
        {
            resource = await db.Resources.AsNoTracking().FirstOrDefaultAsync(x => x.Id == rid, ct);
            if (resource is not { Active: true } || resource.LocationId != r.LocationId) v.Add("resourceId", "Choose an active room or resource at this location.");
        }
        if (r.VisitReason?.Length > Limits.Text) v.Add("visitReason", $"At most {Limits.Text} characters.");
        if (r.Note?.Length > Limits.Note) v.Add("note", $"At most {Limits.Note} characters.");
        var zone = location is null ? null : Zones.Get(location.TimeZone);
        List<(DateTime Start, DateTime End)> occurrences = [(start, end)];
        if (r.Recurrence is { } rec && zone is not null)
        {
            var firstLocal = Zones.ToLocal(start, zone);
            var firstDate = DateOnly.FromDateTime(firstLocal.DateTime);
            Recurrence.Validate(rec, firstDate, v);
            if (v.IsValid)
            {
                // Each occurrence keeps the first one's wall-clock time, so 09:00 stays 09:00 across a DST change.
                var localTime = TimeOnly.FromDateTime(firstLocal.DateTime);
                var length = end - start;
                occurrences = Recurrence.Dates(rec, firstDate)
                    .Select(d => { var s = Zones.ToUtc(d, localTime, zone); return (s, s + length); }).ToList();
            }
        }
        v.ThrowIfInvalid();

        var (bookType, bookProvider, bookLocation) = (type!, provider!, location!);
        var pool = bookType.RequiredKinds().FirstOrDefault();
        // Reads that do not decide a conflict happen before the write transaction: on SQLite the transaction holds the
        // database's single write turn, so only the conflict queries and the inserts run inside it.
        var availability = await AvailabilityWindow.LoadAsync(db, bookProvider.Id, bookLocation, occurrences.Min(o => o.Start), occurrences.Max(o => o.End), ct);
        var poolRooms = pool is null || resource is not null ? null : await SlotRules.PoolAsync(db, bookLocation.Id, pool, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await BookingRules.LockAsync(db, Holders(r.ProviderId, r.PatientId, resource?.Id, pool is null ? null : $"{r.LocationId}:{pool}"), ct);
        var booked = new List<Appointment>();
        var skipped = new List<SkippedOccurrence>();
        var now = store.UtcNow;
        Guid? seriesId = null;
        if (r.Recurrence is { } recurrence)
        {
            var series = new AppointmentSeries
            {
                Id = TypedIds.NewGuid(time), Rule = Recurrence.ToRRule(recurrence, DateOnly.FromDateTime(Zones.ToLocal(start, zone!).DateTime)),
                FirstStartUtc = start, TimeZone = bookLocation.TimeZone, CreatedAt = now,
            };
            db.Series.Add(series);
            seriesId = series.Id;
        }
        var index = 0;
        foreach (var (s, e) in occurrences)
        {
            index++;
            var problem = await SlotRules.CheckAsync(db, availability, r.ProviderId, r.PatientId, s, e, resource, pool, bookLocation, [], ct, poolRooms);
            if (problem.OutsideHours && !r.AllowConflict)
            {
                if (r.SkipConflictingOccurrences && occurrences.Count > 1) { skipped.Add(new(Zones.ToLocal(s, zone!), "outside open hours")); continue; }
                throw new ValidationFailedException(new Dictionary<string, string[]> { ["start"] = [SlotRules.OutsideHoursMessage(s, zone!, bookProvider.Name)] },
                    SlotRules.OutsideHoursMessage(s, zone!, bookProvider.Name));
            }
            if (problem.Conflicts.Count > 0 && !r.AllowConflict)
            {
                if (r.SkipConflictingOccurrences && occurrences.Count > 1) { skipped.Add(new(Zones.ToLocal(s, zone!), "time already taken")); continue; }
                throw new DoubleBookingException(problem.Conflicts);
            }
            if (problem.NoFreeResource is { } kind && !r.AllowConflict)
            {
                if (r.SkipConflictingOccurrences && occurrences.Count > 1) { skipped.Add(new(Zones.ToLocal(s, zone!), $"no free {kind}")); continue; }
                throw new ConflictException($"No {kind} is free at {bookLocation.Name} then. Choose another time.");
            }
            var a = new Appointment
            {
                Id = TypedIds.NewGuid(time), PatientId = r.PatientId, ProviderId = r.ProviderId, LocationId = r.LocationId,
                AppointmentTypeId = bookType.Id, StartUtc = s, EndUtc = e, ResourceId = resource?.Id ?? problem.AssignedResource,
                Status = nameof(AppointmentStatus.Scheduled), StatusChangedAt = now, SeriesId = seriesId,
                SeriesIndex = seriesId is null ? null : index, VisitReason = r.VisitReason, Note = r.Note,
                ConflictOverride = r.AllowConflict && (problem.Conflicts.Count > 0 || problem.OutsideHours || problem.NoFreeResource is not null),
                Version = 1, CreatedAt = now, UpdatedAt = now, CreatedBy = store.Actor.UserName,
            };
            db.Appointments.Add(a);
            store.History(a, "booked", a.ConflictOverride ? $"override: {SlotRules.Describe(problem)}" : null);
            booked.Add(a);
        }
        if (booked.Count == 0) throw new ConflictException("None of the series' occurrences could be booked: every time was taken or outside open hours.");
        await db.SaveChangesAsync(ct);
        await audit.RecordManyAsync(booked.Select(a => new AuditEntry(AuditAction.Create, "Appointment", a.Id.ToString(), a.PatientId.ToString(),
            Detail: $"{a.StartUtc:yyyy-MM-dd HH:mm}Z {bookType.Name} with {bookProvider.Name}{(a.ConflictOverride ? " (conflict override)" : "")}")).ToList(),
            tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        foreach (var a in booked) changes.Publish(new ScheduleChange(a.Id, a.LocationId, a.ProviderId, "booked", a.StartUtc, now));
        return new BookingResult(AppointmentViews.ForNew(booked, bookProvider, bookLocation, bookType,
            (poolRooms ?? []).Concat(resource is null ? [] : [resource]), patient), skipped);
    }

    /// <summary>The lock names of what a booking takes (decision 0011).</summary>
    internal static IEnumerable<string> Holders(Guid provider, Guid patient, Guid? resource, string? pool)
    {
        yield return $"provider:{provider}";
        yield return $"patient:{patient}";
        if (resource is { } r) yield return $"resource:{r}";
        // Booking assigns "any free room": bookings that draw from the same pool of rooms wait for each other.
        if (pool is not null) yield return $"pool:{pool}";
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/scheduling/appointments", async (BookAppointmentRequest request, BookAppointmentHandler handler, CancellationToken ct) =>
            {
                var result = await handler.HandleAsync(request, ct);
                return Results.Created($"/api/scheduling/appointments/{result.Appointments[0].Id}", result);
            })
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "Appointment"));
}
