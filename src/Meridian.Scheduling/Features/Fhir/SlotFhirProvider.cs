using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace Meridian.Scheduling.Features.Fhir;

/// <summary>
/// FHIR Slot, computed on every request and never stored: a Schedule's template hours (open rules and extra open
/// hours) cut into slots, each one free, busy (the provider holds an appointment then) or busy-unavailable (a block,
/// lunch, closure or holiday inside the template hours). Slots are the location's grid (SlotMinutes) long, or the
/// appointment type's length when the search names a service-type, so a client can book a slot of the right length.
/// </summary>
internal sealed class SlotFhirProvider(SchedulingStore store, IAuditTrail audit) : IFhirResourceProvider
{
    /// <summary>Longest range one search computes; a wider one is refused (a client pages through weeks instead).</summary>
    public const int MaxDays = 31;
    public const int DefaultDays = 7;

    public static readonly FhirProvidedType Type = new("Slot", Permissions.ScheduleRead, Permissions.ScheduleWrite, Create: false, Update: false,
    [
        new("schedule", "reference", "Slot.schedule (required): Schedule/{id}, comma-separated for several"),
        new("status", "token", "Slot.status: free | busy | busy-unavailable"),
        new("start", "date", $"Slot.start with ge/gt/le/lt/eq; default from now for {DefaultDays} days; at most {MaxDays} days"),
        new("service-type", "token", "Slot.serviceType: an appointment type code; slots then have that type's length"),
    ]);

    public async Task<FhirResource?> ReadAsync(string id, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        if (FhirIds.ParseSlot(id) is not { } slot || slot.Minutes is < 1 or > 720) return null;
        var db = store.Db;
        var location = await db.Locations.AsNoTracking().FirstOrDefaultAsync(l => l.Id == slot.Location, ct);
        if (location is null) return null;
        var end = slot.StartUtc.AddMinutes(slot.Minutes);
        var grid = await SlotGrid.LoadAsync(db, slot.Provider, location, slot.StartUtc, end, ct);
        if (grid is null || grid.Status(slot.StartUtc, end) is not { } status) return null;
        var types = await OfferedAsync(slot.Provider, null, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Slot", id), ct);
        return Render(slot.Provider, location, slot.StartUtc, end, status, types);
    }

    public async Task<FhirSearchPage> SearchAsync(FhirSearchRequest request, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        var applied = new List<KeyValuePair<string, string>>();
        var notes = new List<string>();
        var schedules = new List<(Guid Provider, Guid Location)>();
        HashSet<string>? statuses = null;
        string? serviceType = null;
        var dates = new List<DateParam>();
        foreach (var (key, value) in request.Parameters)
        {
            var values = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
            switch (key)
            {
                case "schedule":
                    foreach (var v in values)
                        schedules.Add(FhirScheduling.RefId(v, "Schedule") is { } sid && FhirIds.ParseSchedule(sid) is { } pair ? pair
                            : throw FhirScheduling.BadRequest($"schedule={v} is not a Schedule reference (Schedule/{{id}}).", expression: "schedule"));
                    break;
                case "status":
                    statuses = values.Select(v => v is "free" or "busy" or "busy-unavailable" ? v
                        : throw FhirScheduling.BadRequest($"status={v}: a Slot is free, busy or busy-unavailable here.", expression: "status")).ToHashSet();
                    break;
                case "start":
                    dates.AddRange(values.Select(v => DateParam.Parse(v, "start")));
                    break;
                case "service-type":
                    if (values.Length != 1) throw FhirScheduling.BadRequest("Give one service-type.");
                    serviceType = values[0][(values[0].IndexOf('|') + 1)..];
                    break;
                default:
                    if (request.Strict) throw FhirScheduling.BadRequest($"Search parameter '{key}' is not supported for Slot.", "not-supported");
                    continue;
            }
            applied.Add(new(key, value));
        }
        if (schedules.Count == 0)
            throw new FhirOperationException(400, "too-costly", "Slot searches need a schedule (Slot?schedule=Schedule/{id}); find schedules with Schedule?actor=Practitioner/{id}.");

        var now = store.UtcNow;
        var locations = await db.Locations.AsNoTracking().Where(l => schedules.Select(s => s.Location).Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        var zone = locations.Values.FirstOrDefault() is { } first ? Zones.Get(first.TimeZone) : DateTimeZone.Utc;
        // The range: lower bounds from ge/gt/eq, upper from lt/le/eq, each resolved in the (first) schedule's zone.
        DateTime? from = null, to = null;
        foreach (var d in dates)
        {
            var (lo, hi) = d.Range(zone);
            switch (d.Prefix)
            {
                case "ge": from = Max(from, lo); break;
                case "gt": from = Max(from, hi); break;
                case "lt": to = Min(to, lo); break;
                case "le": to = Min(to, hi); break;
                default: from = Max(from, lo); to = Min(to, hi); break;
            }
        }
        if (from is null)
        {
            from = now;
            notes.Add("No lower bound on start was given: slots from now are returned.");
        }
        if (to is null)
        {
            to = from.Value.AddDays(DefaultDays);
            notes.Add($"No upper bound on start was given: slots for {DefaultDays} days from {from:yyyy-MM-dd HH:mm}Z are returned (at most {MaxDays} days per search).");
        }
        if (to <= from) throw FhirScheduling.BadRequest("The start range is empty (its end is not after its beginning).", expression: "start");
        if (to - from > TimeSpan.FromDays(MaxDays))
            throw new FhirOperationException(400, "too-costly", $"A Slot search covers at most {MaxDays} days; this one covers {(to - from).Value.TotalDays:0.#}. Narrow start (e.g. start=ge2027-03-01&start=lt2027-03-29).", "start");

        AppointmentType? type = null;
        if (serviceType is not null)
        {
            type = Guid.TryParse(serviceType, out var tid) ? await db.AppointmentTypes.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tid && t.Active, ct) : null;
            if (type is null) throw FhirScheduling.BadRequest($"service-type={serviceType} is not an active appointment type (codes are in Schedule.serviceType).", expression: "service-type");
        }

        var slots = new List<FhirResource>();
        foreach (var (providerId, locationId) in schedules.Distinct())
        {
            if (!locations.TryGetValue(locationId, out var location)) continue;
            var grid = await SlotGrid.LoadAsync(db, providerId, location, from.Value, to.Value, ct);
            if (grid is null) continue;
            var offered = await OfferedAsync(providerId, type, ct);
            if (type is not null && offered.Count == 0) continue; // the provider does not offer this type
            var minutes = type?.DurationMinutes ?? location.SlotMinutes;
            foreach (var (start, end, status) in grid.Tiles(from.Value, to.Value, TimeSpan.FromMinutes(minutes)))
                if (statuses is null || statuses.Contains(status))
                    slots.Add(Render(providerId, location, start, end, status, offered));
        }
        var page = slots.Skip(request.Offset).Take(request.Count).ToList();
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "Slot", Detail: ScheduleFhirProvider.Detail(applied, slots.Count)), ct);
        return new FhirSearchPage(page, slots.Count, applied, notes);
    }

    public Task<FhirResource> CreateAsync(JsonElement resource, CancellationToken ct) => throw NotWritable();
    public Task<FhirResource> UpdateAsync(string id, JsonElement resource, int? expectedVersion, CancellationToken ct) => throw NotWritable();

    private static FhirOperationException NotWritable() =>
        new(405, "not-supported", "Slots are computed from availability and bookings; book one by creating an Appointment that references it.");

    private static DateTime Max(DateTime? a, DateTime b) => a is { } x && x > b ? x : b;
    private static DateTime Min(DateTime? a, DateTime b) => a is { } x && x < b ? x : b;

    private async Task<List<AppointmentType>> OfferedAsync(Guid providerId, AppointmentType? only, CancellationToken ct)
    {
        var types = await store.Db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).Where(t => t.Active).OrderBy(t => t.Name).ToListAsync(ct);
        return types.Where(t => (only is null || t.Id == only.Id) && (t.Providers.Count == 0 || t.Providers.Any(p => p.ProviderId == providerId))).ToList();
    }

    private static FhirResource Render(Guid providerId, Location location, DateTime start, DateTime end, string status, List<AppointmentType> types)
    {
        var zone = Zones.Get(location.TimeZone);
        var id = FhirIds.Slot(providerId, location.Id, start, (int)(end - start).TotalMinutes);
        var json = FhirScheduling.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Slot");
            w.WriteString("id", id);
            if (types.Count > 0)
            {
                w.WriteStartArray("serviceType");
                foreach (var t in types) FhirScheduling.TypeConcept(w, t);
                w.WriteEndArray();
            }
            w.WriteStartObject("schedule");
            w.WriteString("reference", $"Schedule/{FhirIds.Schedule(providerId, location.Id)}");
            w.WriteEndObject();
            w.WriteString("status", status);
            w.WriteString("start", FhirScheduling.Instant(start, zone));
            w.WriteString("end", FhirScheduling.Instant(end, zone));
            w.WriteEndObject();
        });
        return new FhirResource(id, null, null, json);
    }
}

/// <summary>
/// One provider's hours, open time and bookings around a range, from the same availability engine booking uses, so a
/// free slot is exactly a time the booking handler accepts (for the provider; rooms and the patient are checked at booking).
/// </summary>
internal sealed class SlotGrid(List<Span> hours, List<Span> open, List<Span> busy)
{
    public static async Task<SlotGrid?> LoadAsync(SchedulingDbContext db, Guid providerId, Location location, DateTime fromUtc, DateTime toUtc, CancellationToken ct)
    {
        var templates = await db.Templates.AsNoTracking().Include(t => t.Rules)
            .Where(t => t.ProviderId == providerId && t.LocationId == location.Id).ToListAsync(ct);
        if (templates.Count == 0) return null;
        var zone = Zones.Get(location.TimeZone);
        var exceptions = await BookingRules.ExceptionsAsync(db, [providerId], fromUtc.AddDays(-1), toUtc.AddDays(1), ct);
        var locations = new Dictionary<Guid, Location> { [location.Id] = location };
        var (fromDate, toDate) = (Zones.LocalDate(fromUtc, zone).AddDays(-1), Zones.LocalDate(toUtc, zone).AddDays(1));
        // Hours: the templates' open rules and extra open hours, before blocks and closures take their share.
        var hoursOnly = templates.Select(t => new AvailabilityTemplate
        {
            Id = t.Id, ProviderId = t.ProviderId, LocationId = t.LocationId, EffectiveFrom = t.EffectiveFrom, EffectiveTo = t.EffectiveTo,
            Rules = t.Rules.Where(r => r.Kind == "open").ToList(),
        });
        var hours = Availability.Merge(Availability.Open(providerId, hoursOnly, locations, exceptions.Where(x => x.Kind == "open").ToList(), fromDate, toDate)
            .Select(o => o.Span));
        var open = Availability.Merge(Availability.Open(providerId, templates, locations, exceptions, fromDate, toDate).Select(o => o.Span));
        var earliest = fromUtc - BookingRules.MaxLength;
        var busy = await db.Appointments.AsNoTracking()
            .Where(a => a.ProviderId == providerId && a.StartUtc < toUtc && a.StartUtc > earliest && a.EndUtc > fromUtc && !BookingRules.Ended.Contains(a.Status))
            .Select(a => new { a.StartUtc, a.EndUtc }).ToListAsync(ct);
        return new SlotGrid(hours, open, busy.Select(b => new Span(b.StartUtc, b.EndUtc)).ToList());
    }

    /// <summary>Null when [start, end) is not inside the schedule's hours (no such slot).</summary>
    public string? Status(DateTime start, DateTime end)
    {
        if (!hours.Any(h => h.Contains(start, end))) return null;
        if (!open.Any(o => o.Contains(start, end))) return "busy-unavailable";
        return busy.Any(b => b.Overlaps(start, end)) ? "busy" : "free";
    }

    /// <summary>The hours cut into consecutive slots of <paramref name="length"/> from each stretch's start, those starting in [from, to).</summary>
    public IEnumerable<(DateTime Start, DateTime End, string Status)> Tiles(DateTime from, DateTime to, TimeSpan length)
    {
        foreach (var h in hours)
            for (var s = h.Start; s + length <= h.End && s < to; s += length)
                if (s >= from) yield return (s, s + length, Status(s, s + length)!);
    }
}
