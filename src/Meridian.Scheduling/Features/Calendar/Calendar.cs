using Meridian.Audit.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.Calendar;

/// <summary>
/// A day or week of the schedule for one provider, one room, or a whole location (a column per provider), in the
/// location's time zone. Date is the local date the view starts on.
/// </summary>
public sealed record CalendarQuery(DateOnly Date, int Days = 1, Guid? ProviderId = null, Guid? LocationId = null, Guid? ResourceId = null, bool IncludeCancelled = false);

public sealed record CalendarSpan(DateTimeOffset Start, DateTimeOffset End);

public sealed record CalendarColumn(string Kind, Guid Id, string Name, string? Color, IReadOnlyList<CalendarSpan> Open, IReadOnlyList<AppointmentView> Appointments);

public sealed record CalendarView(DateOnly Date, int Days, string TimeZone, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<CalendarColumn> Columns);

internal sealed class CalendarHandler(SchedulingStore store, IAuditTrail audit, AppointmentViews views)
{
    public async Task<CalendarView> HandleAsync(CalendarQuery q, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        var chosen = (q.ProviderId is null ? 0 : 1) + (q.ResourceId is null ? 0 : 1);
        if (chosen > 1) throw ValidationFailedException.For("providerId", "Show one provider or one room at a time.");
        if (chosen == 0 && q.LocationId is null) throw ValidationFailedException.For("locationId", "Choose a provider, a room or a location.");
        if (q.Days is < 1 or > 7) throw ValidationFailedException.For("days", "Show 1 to 7 days.");
        var v = new Validator();
        SlotRules.ValidateDate(q.Date, "date", v);
        v.ThrowIfInvalid();

        Resource? resource = q.ResourceId is { } rid
            ? await db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Id == rid, ct) ?? throw new NotFoundException($"Room {rid} was not found.")
            : null;
        var locationId = resource?.LocationId ?? q.LocationId;
        Provider? provider = q.ProviderId is { } pid ? await store.ProviderAsync(pid, ct) : null;
        if (locationId is null && provider is not null)
            locationId = await db.Templates.AsNoTracking().Where(t => t.ProviderId == provider.Id).OrderByDescending(t => t.EffectiveFrom)
                .Select(t => (Guid?)t.LocationId).FirstOrDefaultAsync(ct);
        var location = locationId is { } lid ? await store.LocationAsync(lid, ct)
            : await db.Locations.AsNoTracking().OrderBy(l => l.Name).FirstOrDefaultAsync(ct) ?? throw new NotFoundException("No location is set up yet.");
        var zone = Zones.Get(location.TimeZone);
        var from = Zones.StartOfDayUtc(q.Date, zone);
        var to = Zones.StartOfDayUtc(q.Date.AddDays(q.Days), zone);
        var earliest = from - BookingRules.MaxLength;

        var appointments = db.Appointments.AsNoTracking().Where(a => a.StartUtc < to && a.StartUtc > earliest && a.EndUtc > from);
        if (!q.IncludeCancelled) appointments = appointments.Where(a => a.Status != "Cancelled");
        List<Provider> columns;
        if (provider is not null)
        {
            appointments = appointments.Where(a => a.ProviderId == provider.Id);
            if (q.LocationId is { } only) appointments = appointments.Where(a => a.LocationId == only);
            columns = [provider];
        }
        else if (resource is not null)
        {
            appointments = appointments.Where(a => a.ResourceId == resource.Id || a.RoomId == resource.Id);
            columns = [];
        }
        else
        {
            appointments = appointments.Where(a => a.LocationId == location.Id);
            var working = await db.Templates.AsNoTracking().Where(t => t.LocationId == location.Id).Select(t => t.ProviderId).Distinct().ToListAsync(ct);
            columns = await db.Providers.AsNoTracking().Where(p => p.Active && working.Contains(p.Id)).OrderBy(p => p.Name).ToListAsync(ct);
        }
        var rows = await appointments.OrderBy(a => a.StartUtc).ToListAsync(ct);
        var shown = await views.ManyAsync(rows, ct);

        var result = new List<CalendarColumn>();
        if (resource is not null)
            result.Add(new CalendarColumn("resource", resource.Id, resource.Name, null, [], shown));
        else
        {
            // Providers with bookings here but no template (an override) still get their column.
            var extra = shown.Select(a => a.ProviderId).Distinct().Where(p => columns.All(c => c.Id != p)).ToList();
            if (extra.Count > 0) columns.AddRange(await db.Providers.AsNoTracking().Where(p => extra.Contains(p.Id)).OrderBy(p => p.Name).ToListAsync(ct));
            var ids = columns.Select(c => c.Id).ToList();
            var templates = await db.Templates.AsNoTracking().Include(t => t.Rules).Where(t => ids.Contains(t.ProviderId) && t.LocationId == location.Id).ToListAsync(ct);
            var exceptions = await BookingRules.ExceptionsAsync(db, ids, from, to, ct);
            var locations = new Dictionary<Guid, Location> { [location.Id] = location };
            foreach (var p in columns)
            {
                var open = Availability.Open(p.Id, templates, locations, exceptions, q.Date, q.Date.AddDays(q.Days - 1))
                    .Select(o => new CalendarSpan(Zones.ToLocal(o.Start, zone), Zones.ToLocal(o.End, zone))).ToList();
                result.Add(new CalendarColumn("provider", p.Id, p.Name, p.Color, open, shown.Where(a => a.ProviderId == p.Id).ToList()));
            }
        }
        // One audit record per patient whose appointment the view shows: a calendar is a read of each of them.
        var entries = shown.Select(a => a.PatientId).Distinct()
            .Select(p => new AuditEntry(AuditAction.Search, "Appointment", PatientId: p.ToString(), Detail: $"calendar {q.Date:yyyy-MM-dd} +{q.Days}d"))
            .ToList();
        if (entries.Count > 0) await audit.RecordManyAsync(entries, null, ct);
        return new CalendarView(q.Date, q.Days, location.TimeZone, Zones.ToLocal(from, zone), Zones.ToLocal(to, zone), result);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/scheduling/calendar", async (DateOnly date, int? days, Guid? providerId, Guid? locationId, Guid? resourceId, bool? includeCancelled,
                CalendarHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(new CalendarQuery(date, days ?? 1, providerId, locationId, resourceId, includeCancelled ?? false), ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Appointment"));
}
