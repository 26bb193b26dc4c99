using Meridian.Audit.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.FindAvailable;

/// <summary>
/// The first openings for an appointment type: one provider, or any provider offering it (optionally at one location),
/// between two dates. An opening respects the templates, blocks and closures, the provider's bookings, a free room of the
/// kind the type needs, and (when a patient is given) the patient's own bookings.
/// </summary>
public sealed record FindAvailableQuery(Guid AppointmentTypeId, Guid? ProviderId = null, Guid? LocationId = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, int Count = 5, Guid? PatientId = null);

public sealed record Opening(Guid ProviderId, string ProviderName, Guid LocationId, string LocationName, DateTimeOffset Start, DateTimeOffset End, Guid? ResourceId, string? ResourceName);

internal sealed class FindNextAvailableHandler(SchedulingStore store, IAuditTrail audit)
{
    public const int MaxDays = 92;

    public async Task<IReadOnlyList<Opening>> HandleAsync(FindAvailableQuery q, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        var now = store.UtcNow;
        var v = new Validator();
        var type = await db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).FirstOrDefaultAsync(t => t.Id == q.AppointmentTypeId, ct);
        if (type is not { Active: true }) v.Add("appointmentTypeId", "Choose an active appointment type.");
        var from = q.From?.UtcDateTime ?? now;
        if (from < now) from = now;
        // Bookings reach two years ahead; so does the search (and its date arithmetic stays far from DateTime.MaxValue).
        if (from > now.AddYears(2)) { v.Add("from", "Search at most two years ahead."); from = now; }
        var to = q.To?.UtcDateTime ?? from.AddDays(14);
        if (to <= from) v.Add("to", "The search ends before it starts.");
        if (to - from > TimeSpan.FromDays(MaxDays)) v.Add("to", $"Search at most {MaxDays} days at a time.");
        if (q.Count is < 1 or > 100) v.Add("count", "Ask for 1 to 100 openings.");
        v.ThrowIfInvalid();

        var offering = type!.Providers.Select(p => p.ProviderId).ToList();
        var providersQuery = db.Providers.AsNoTracking().Where(p => p.Active);
        if (q.ProviderId is { } pid) providersQuery = providersQuery.Where(p => p.Id == pid);
        else if (offering.Count > 0) providersQuery = providersQuery.Where(p => offering.Contains(p.Id));
        var providers = await providersQuery.ToDictionaryAsync(p => p.Id, ct);
        if (q.ProviderId is { } only && !providers.ContainsKey(only)) throw new NotFoundException($"Provider {only} was not found or is inactive.");
        if (q.ProviderId is { } chosen && offering.Count > 0 && !offering.Contains(chosen))
            throw ValidationFailedException.For("providerId", $"{providers[chosen].Name} does not offer {type.Name} appointments.");
        var providerIds = providers.Keys.ToList();

        var templatesQuery = db.Templates.AsNoTracking().Include(t => t.Rules).Where(t => providerIds.Contains(t.ProviderId));
        if (q.LocationId is { } lid) templatesQuery = templatesQuery.Where(t => t.LocationId == lid);
        var templates = await templatesQuery.ToListAsync(ct);
        var locationIds = templates.Select(t => t.LocationId).Distinct().ToList();
        var locations = await db.Locations.AsNoTracking().Where(l => locationIds.Contains(l.Id) && l.Active).ToDictionaryAsync(l => l.Id, ct);
        var exceptions = await BookingRules.ExceptionsAsync(db, providerIds, from.AddDays(-1), to.AddDays(1), ct);
        var earliest = from - BookingRules.MaxLength;
        var booked = await db.Appointments.AsNoTracking()
            .Where(a => providerIds.Contains(a.ProviderId) && a.StartUtc < to && a.StartUtc > earliest && a.EndUtc > from && !BookingRules.Ended.Contains(a.Status))
            .Select(a => new { a.ProviderId, a.StartUtc, a.EndUtc }).ToListAsync(ct);
        var busyByProvider = booked.ToLookup(a => a.ProviderId, a => new Span(a.StartUtc, a.EndUtc));
        var patientBusy = q.PatientId is { } patient
            ? (await db.Appointments.AsNoTracking()
                .Where(a => a.PatientId == patient && a.StartUtc < to && a.StartUtc > earliest && a.EndUtc > from && !BookingRules.Ended.Contains(a.Status))
                .Select(a => new { a.StartUtc, a.EndUtc }).ToListAsync(ct)).Select(a => new Span(a.StartUtc, a.EndUtc)).ToList()
            : [];

        // Rooms (or equipment) of the kind the type needs, per location, with their bookings in the range.
        var pool = type.RequiredKinds().FirstOrDefault();
        var rooms = pool is null ? [] : await db.Resources.AsNoTracking()
            .Where(x => locationIds.Contains(x.LocationId) && x.Kind == pool && x.Active).OrderBy(x => x.Name).ToListAsync(ct);
        var roomIds = rooms.Select(x => x.Id).ToList();
        var roomBusy = roomIds.Count == 0 ? [] : (await db.Appointments.AsNoTracking()
                .Where(a => a.ResourceId != null && roomIds.Contains(a.ResourceId.Value) && a.StartUtc < to && a.StartUtc > earliest && a.EndUtc > from && !BookingRules.Ended.Contains(a.Status))
                .Select(a => new { Room = a.ResourceId!.Value, a.StartUtc, a.EndUtc }).ToListAsync(ct))
            .ToLookup(a => a.Room, a => new Span(a.StartUtc, a.EndUtc)).ToDictionary(g => g.Key, g => g.ToList());

        var duration = TimeSpan.FromMinutes(type.DurationMinutes);
        var found = new List<Opening>();
        foreach (var provider in providers.Values)
        {
            var perProvider = 0;
            var spans = Availability.Open(provider.Id, templates, locations, exceptions,
                    DateOnly.FromDateTime(from.AddDays(-1)), DateOnly.FromDateTime(to.AddDays(1)))
                .Where(o => o.End > from && o.Start < to);
            foreach (var open in spans)
            {
                var location = locations[open.LocationId];
                var zone = Zones.Get(location.TimeZone);
                var clipped = new Span(open.Start < from ? from : open.Start, open.End > to ? to : open.End);
                var busy = busyByProvider[provider.Id].Concat(patientBusy);
                foreach (var free in Availability.Subtract([clipped], busy))
                    foreach (var start in Availability.Starts(free, duration, location.SlotMinutes, zone))
                    {
                        var end = start + duration;
                        Resource? room = null;
                        if (pool is not null)
                        {
                            room = rooms.FirstOrDefault(x => x.LocationId == location.Id &&
                                                             !(roomBusy.TryGetValue(x.Id, out var b) && b.Any(s => s.Overlaps(start, end))));
                            if (room is null) continue;
                        }
                        found.Add(new Opening(provider.Id, provider.Name, location.Id, location.Name, Zones.ToLocal(start, zone), Zones.ToLocal(end, zone), room?.Id, room?.Name));
                        // Openings come in time order per provider: the first Count of each are all the overall first Count can use.
                        if (++perProvider >= q.Count) goto nextProvider;
                    }
            }
            nextProvider: ;
        }
        var result = found.OrderBy(o => o.Start.UtcDateTime).ThenBy(o => o.ProviderName, StringComparer.Ordinal).Take(q.Count).ToList();
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "Slot", PatientId: q.PatientId?.ToString(),
            Detail: $"{type.Name}: {result.Count} opening(s) from {from:yyyy-MM-dd} to {to:yyyy-MM-dd}"), ct);
        return result;
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/scheduling/availability", async (Guid appointmentTypeId, Guid? providerId, Guid? locationId, DateTimeOffset? from,
                DateTimeOffset? to, int? count, Guid? patientId, FindNextAvailableHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(new FindAvailableQuery(appointmentTypeId, providerId, locationId, from, to, count ?? 5, patientId), ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Slot"));
}
