using Meridian.Scheduling.Data;
using Meridian.SharedKernel.Errors;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace Meridian.Scheduling.Domain;

/// <summary>What stands in the way of booking [start, end): overlapping bookings, closed hours, no free room.</summary>
internal sealed record SlotProblem(List<BookingConflict> Conflicts, bool OutsideHours, string? NoFreeResource, Guid? AssignedResource);

/// <summary>A provider's open time at one location around the times being booked, loaded once per request.</summary>
internal sealed class AvailabilityWindow(List<Span> open)
{
    public bool Contains(DateTime start, DateTime end) => open.Any(s => s.Contains(start, end));

    public static async Task<AvailabilityWindow> LoadAsync(SchedulingDbContext db, Guid providerId, Location location, DateTime fromUtc, DateTime toUtc, CancellationToken ct)
    {
        var zone = Zones.Get(location.TimeZone);
        var templates = await db.Templates.AsNoTracking().Include(t => t.Rules)
            .Where(t => t.ProviderId == providerId && t.LocationId == location.Id).ToListAsync(ct);
        var exceptions = await BookingRules.ExceptionsAsync(db, [providerId], fromUtc.AddDays(-1), toUtc.AddDays(1), ct);
        var open = Availability.Open(providerId, templates, new Dictionary<Guid, Location> { [location.Id] = location }, exceptions,
            Zones.LocalDate(fromUtc, zone).AddDays(-1), Zones.LocalDate(toUtc, zone).AddDays(1));
        return new AvailabilityWindow(Availability.Merge(open.Select(o => o.Span)));
    }
}

internal static class SlotRules
{
    public static void ValidateTimes(DateTime start, DateTime end, DateTime now, Validator v)
    {
        if (end < start) v.Add("end", "The appointment ends before it starts.");
        else if (end == start) v.Add("end", "The appointment has no length; give it a duration of at least one minute.");
        else if (end - start > BookingRules.MaxLength) v.Add("end", $"An appointment can last at most {BookingRules.MaxLength.TotalHours:0} hours.");
        if (start.Second != 0 || start.Millisecond != 0 || end.Second != 0 || end.Millisecond != 0)
            v.Add("start", "Appointments start and end on a whole minute.");
        // A minute of grace for the clock of the screen that sent it.
        if (start < now.AddMinutes(-1)) v.Add("start", "That time is in the past. Book a time from now on.");
        if (start > now.AddYears(2)) v.Add("start", "Appointments can be booked up to two years ahead.");
    }

    /// <summary>
    /// Dates a schedule can mean. Outside them date arithmetic (the next day, the end of a week) would overflow: the caller
    /// gets a 400 instead of a 500.
    /// </summary>
    public static void ValidateDate(DateOnly date, string field, Validator v)
    {
        if (date.Year is < 1900 or > 2200) v.Add(field, "Give a date between 1900 and 2200.");
    }

    public static async Task<SlotProblem> CheckAsync(SchedulingDbContext db, AvailabilityWindow window, Guid providerId, Guid patientId,
        DateTime start, DateTime end, Resource? resource, string? pool, Location location, IReadOnlyCollection<Guid> excluding, CancellationToken ct,
        IReadOnlyList<Resource>? poolRooms = null)
    {
        var conflicts = await BookingRules.FindConflictsAsync(db, providerId, patientId, resource?.Id, start, end, excluding, ct);
        var outside = !window.Contains(start, end);
        Guid? assigned = null;
        string? noFree = null;
        if (resource is null && pool is not null)
        {
            var candidates = (poolRooms ?? await PoolAsync(db, location.Id, pool, ct)).Select(r => r.Id).ToList();
            var earliest = start - BookingRules.MaxLength;
            var busy = await db.Appointments.AsNoTracking()
                .Where(a => a.ResourceId != null && candidates.Contains(a.ResourceId.Value) && a.StartUtc < end && a.StartUtc > earliest
                            && a.EndUtc > start && !BookingRules.Ended.Contains(a.Status) && !excluding.Contains(a.Id))
                .Select(a => a.ResourceId!.Value).Distinct().ToListAsync(ct);
            assigned = candidates.Cast<Guid?>().FirstOrDefault(c => !busy.Contains(c!.Value));
            if (assigned is null) noFree = pool;
        }
        return new SlotProblem(conflicts, outside, noFree, assigned);
    }

    /// <summary>The active rooms (or equipment) of a kind at a location, in the order "any free room" picks them.</summary>
    public static async Task<List<Resource>> PoolAsync(SchedulingDbContext db, Guid locationId, string kind, CancellationToken ct) =>
        await db.Resources.AsNoTracking().Where(x => x.LocationId == locationId && x.Kind == kind && x.Active).OrderBy(x => x.Name).ToListAsync(ct);

    public static string OutsideHoursMessage(DateTime start, DateTimeZone zone, string provider) =>
        $"{provider} is not available at {Zones.ToLocal(start, zone):ddd d MMM HH:mm} (outside open hours, a block or a closure). " +
        "Use Find next available, or ask someone with the override permission.";

    public static string Describe(SlotProblem p) => string.Join("; ", new[]
    {
        p.Conflicts.Count > 0 ? $"overlaps {p.Conflicts.Count} booking(s) of the {string.Join("/", p.Conflicts.Select(c => c.Holder).Distinct())}" : null,
        p.OutsideHours ? "outside open hours" : null,
        p.NoFreeResource is { } k ? $"no free {k}" : null,
    }.OfType<string>());
}
