using System.Globalization;
using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.Scheduling.Features.BookAppointment;
using Meridian.Scheduling.Features.ChangeAppointment;
using Meridian.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.Fhir;

/// <summary>
/// FHIR Appointment over Meridian's appointments. Create books through <see cref="BookAppointmentHandler"/> and update
/// moves, cancels or records a no-show through the change handlers, so every booking rule (no double booking, open
/// hours, rooms, the patient's own bookings) and the audit and history come from one place.
/// </summary>
internal sealed class AppointmentFhirProvider(
    SchedulingStore store,
    IAuditTrail audit,
    BookAppointmentHandler book,
    RescheduleAppointmentHandler reschedule,
    CancelAppointmentHandler cancel) : IFhirResourceProvider
{
    public static readonly FhirProvidedType Type = new("Appointment", Permissions.ScheduleRead, Permissions.ScheduleWrite, Create: true, Update: true,
    [
        new("_id", "token", "Logical id of the Appointment"),
        new("patient", "reference", "Appointment.participant.actor.where(resolve() is Patient)"),
        new("practitioner", "reference", "Appointment.participant.actor.where(resolve() is Practitioner)"),
        new("location", "reference", "Appointment.participant.actor.where(resolve() is Location)"),
        new("date", "date", "Appointment.start; a date without a time is the whole local day at the appointment's location"),
        new("status", "token", "Appointment.status"),
    ]);

    /// <summary>Elements an incoming Appointment may carry; anything else is refused rather than silently dropped.</summary>
    private static readonly HashSet<string> Accepted =
        ["resourceType", "id", "meta", "text", "status", "cancelationReason", "serviceType", "appointmentType", "participant", "start", "end",
         "minutesDuration", "slot", "description", "comment", "created"];

    /// <summary>Elements an update may change: the rest must be as Meridian renders them.</summary>
    private static readonly HashSet<string> Changeable = ["id", "meta", "text", "status", "cancelationReason", "start", "end", "minutesDuration", "slot"];

    public static string FhirStatus(AppointmentStatus s) => s switch
    {
        AppointmentStatus.Scheduled => "booked",
        AppointmentStatus.Arrived => "arrived",
        AppointmentStatus.Roomed or AppointmentStatus.WithProvider or AppointmentStatus.CheckingOut => "checked-in",
        AppointmentStatus.Done => "fulfilled",
        AppointmentStatus.Cancelled => "cancelled",
        _ => "noshow",
    };

    public async Task<FhirResource?> ReadAsync(string id, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        if (!Guid.TryParse(id, out var gid)) return null;
        var a = await store.Db.Appointments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == gid, ct);
        if (a is null) return null;
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Appointment", a.Id.ToString(), a.PatientId.ToString()), ct);
        return (await RenderAsync([a], ct))[0];
    }

    public async Task<FhirSearchPage> SearchAsync(FhirSearchRequest request, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        IQueryable<Appointment> q = db.Appointments.AsNoTracking();
        var applied = new List<KeyValuePair<string, string>>();
        var dates = new List<DateParam>();
        foreach (var (key, value) in request.Parameters)
        {
            var values = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (values.Length == 0) continue;
            switch (key)
            {
                case "_id":
                {
                    var ids = values.Select(v => Guid.TryParse(v, out var g) ? g : Guid.Empty).ToList();
                    q = q.Where(a => ids.Contains(a.Id));
                    break;
                }
                case "patient":
                {
                    var ids = values.Select(v => FhirScheduling.RefId(v, "Patient") is { } s && Guid.TryParse(s, out var g) ? g : Guid.Empty).ToList();
                    q = q.Where(a => ids.Contains(a.PatientId));
                    break;
                }
                case "practitioner":
                {
                    var providers = await db.Providers.AsNoTracking().ToListAsync(ct);
                    var ids = providers.Where(p => values.Any(v => ScheduleFhirProvider.Is(p, v))).Select(p => p.Id).ToList();
                    q = q.Where(a => ids.Contains(a.ProviderId));
                    break;
                }
                case "location":
                {
                    var locations = await db.Locations.AsNoTracking().ToListAsync(ct);
                    var ids = locations.Where(l => values.Any(v => ScheduleFhirProvider.Is(l, v))).Select(l => l.Id).ToList();
                    q = q.Where(a => ids.Contains(a.LocationId));
                    break;
                }
                case "status":
                {
                    var wanted = Enum.GetValues<AppointmentStatus>().Where(s => values.Contains(FhirStatus(s))).Select(s => s.ToString()).ToList();
                    var known = new[] { "proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error", "checked-in", "waitlist" };
                    if (values.FirstOrDefault(v => !known.Contains(v)) is { } bad)
                        throw FhirScheduling.BadRequest($"status={bad} is not an Appointment status (R4 ValueSet appointmentstatus).", expression: "status");
                    q = q.Where(a => wanted.Contains(a.Status));
                    break;
                }
                case "date":
                    foreach (var v in values)
                    {
                        var d = DateParam.Parse(v, "date");
                        dates.Add(d);
                        var (from, to) = d.Widened();
                        if (from is { } f) q = q.Where(a => a.StartUtc >= f);
                        if (to is { } t) q = q.Where(a => a.StartUtc < t);
                    }
                    break;
                default:
                    if (request.Strict) throw FhirScheduling.BadRequest($"Search parameter '{key}' is not supported for Appointment.", "not-supported");
                    continue;
            }
            applied.Add(new(key, value));
        }
        if (applied.Count == 0)
            throw new FhirOperationException(400, "too-costly", "Search appointments by patient, practitioner, location, date, status or _id.");

        var rows = await q.OrderBy(a => a.StartUtc).ThenBy(a => a.Id).ToListAsync(ct);
        if (dates.Count > 0)
        {
            // The exact test: a day means the whole local day at the appointment's own location.
            var locationIds = rows.Select(r => r.LocationId).Distinct().ToList();
            var zones = await db.Locations.AsNoTracking().Where(l => locationIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, l => Zones.Get(l.TimeZone), ct);
            rows = rows.Where(r => dates.All(d => d.Matches(r.StartUtc, zones[r.LocationId]))).ToList();
        }
        var page = rows.Skip(request.Offset).Take(request.Count).ToList();
        var detail = ScheduleFhirProvider.Detail(applied, rows.Count);
        // One audit record per patient whose appointment is returned, so each patient's access report lists the search.
        var entries = page.Select(a => a.PatientId).Distinct()
            .Select(p => new AuditEntry(AuditAction.Search, "Appointment", PatientId: p.ToString(), Detail: detail)).ToList();
        if (entries.Count == 0) entries.Add(new AuditEntry(AuditAction.Search, "Appointment", Detail: detail));
        await audit.RecordManyAsync(entries, null, ct);
        return new FhirSearchPage(await RenderAsync(page, ct), rows.Count, applied, []);
    }

    public async Task<FhirResource> CreateAsync(JsonElement r, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleWrite);
        var db = store.Db;
        var unsupported = r.EnumerateObject().Select(p => p.Name).Where(n => !Accepted.Contains(n)).ToList();
        if (unsupported.Count > 0)
            throw FhirScheduling.Unprocessable($"Meridian does not take Appointment.{string.Join(", Appointment.", unsupported)} on create; leave them out.", $"Appointment.{unsupported[0]}");
        var status = FhirScheduling.Str(r, "status");
        if (status is not ("booked" or "proposed"))
            throw FhirScheduling.Unprocessable($"Create an Appointment with status booked or proposed (it is booked at once), not '{status}'.", "Appointment.status");

        // The slot, when given, fixes the provider, location and time.
        (Guid Provider, Guid Location, DateTime StartUtc, int Minutes)? slot = null;
        var slots = FhirScheduling.Arr(r, "slot").ToList();
        if (slots.Count > 1) throw FhirScheduling.Unprocessable("Book one Slot per Appointment.", "Appointment.slot");
        if (slots.Count == 1)
        {
            var reference = FhirScheduling.Str(slots[0], "reference") ?? "";
            slot = FhirScheduling.RefId(reference, "Slot") is { } sid ? FhirIds.ParseSlot(sid) : null;
            if (slot is null) throw new FhirOperationException(404, "not-found", $"{reference} is not a Slot of this server (find free ones with Slot?schedule=...&status=free).", "Appointment.slot");
        }

        Guid? patientId = null, providerId = slot?.Provider, locationId = slot?.Location;
        var providers = await db.Providers.AsNoTracking().ToListAsync(ct);
        var locations = await db.Locations.AsNoTracking().ToListAsync(ct);
        var i = 0;
        foreach (var p in FhirScheduling.Arr(r, "participant"))
        {
            var path = $"Appointment.participant[{i++}].actor";
            var reference = FhirScheduling.Str(p.TryGetProperty("actor", out var actor) ? actor : default, "reference");
            if (reference is null) throw FhirScheduling.BadRequest("Each participant needs actor.reference (Patient/, Practitioner/ or Location/).", "required", path);
            if (FhirScheduling.RefId(reference, "Patient") is { } pid && reference.Contains("Patient/", StringComparison.Ordinal))
            {
                if (patientId is not null || !Guid.TryParse(pid, out var g)) throw FhirScheduling.BadRequest($"{reference}: give exactly one Patient participant with a Meridian patient id.", expression: path);
                patientId = g;
            }
            else if (reference.Contains("Practitioner/", StringComparison.Ordinal))
            {
                var provider = providers.FirstOrDefault(x => ScheduleFhirProvider.Is(x, reference))
                               ?? throw FhirScheduling.BadRequest($"{reference} is not a provider who sees patients here.", expression: path);
                if (providerId is { } already && already != provider.Id)
                    throw FhirScheduling.Unprocessable($"{reference} is not the practitioner of the slot's schedule.", path);
                providerId = provider.Id;
            }
            else if (reference.Contains("Location/", StringComparison.Ordinal))
            {
                var location = locations.FirstOrDefault(x => ScheduleFhirProvider.Is(x, reference))
                               ?? throw FhirScheduling.BadRequest($"{reference} is not a Meridian location.", expression: path);
                if (locationId is { } already && already != location.Id)
                    throw FhirScheduling.Unprocessable($"{reference} is not the location of the slot's schedule.", path);
                locationId = location.Id;
            }
            else throw FhirScheduling.Unprocessable($"{reference}: Meridian books a Patient with a Practitioner at a Location; other participants are not supported.", path);
        }
        if (patientId is null) throw FhirScheduling.BadRequest("A Patient participant is required.", "required", "Appointment.participant");
        if (providerId is null) throw FhirScheduling.BadRequest("A Practitioner participant (or a slot) is required.", "required", "Appointment.participant");
        if (locationId is null)
        {
            var at = await db.Templates.AsNoTracking().Where(t => t.ProviderId == providerId).Select(t => t.LocationId).Distinct().ToListAsync(ct);
            if (at.Count != 1) throw FhirScheduling.BadRequest("Say where: add a Location participant (the practitioner works at more than one location, or has no template).", "required", "Appointment.participant");
            locationId = at[0];
        }

        var type = await TypeAsync(r, providerId.Value, ct);
        DateTimeOffset start, end;
        var startText = FhirScheduling.Str(r, "start");
        var endText = FhirScheduling.Str(r, "end");
        if (slot is { } s)
        {
            // The appointment fills the slot (R4 Appointment.slot); a start/end that say otherwise are a mistake.
            start = new DateTimeOffset(s.StartUtc);
            end = start.AddMinutes(s.Minutes);
            if ((startText is not null && DateTimeOffset.Parse(startText, CultureInfo.InvariantCulture) != start)
                || (endText is not null && DateTimeOffset.Parse(endText, CultureInfo.InvariantCulture) != end))
                throw FhirScheduling.Unprocessable("start and end must be the slot's own times (or leave them out).", "Appointment.start");
        }
        else
        {
            if (startText is null) throw FhirScheduling.BadRequest("Give start and end, or a slot.", "required", "Appointment.start");
            start = DateTimeOffset.Parse(startText, CultureInfo.InvariantCulture);
            end = endText is null ? start.AddMinutes(type.DurationMinutes) : DateTimeOffset.Parse(endText, CultureInfo.InvariantCulture);
        }

        var result = await book.HandleAsync(new BookAppointmentRequest(patientId.Value, providerId.Value, locationId.Value, type.Id, start, end,
            VisitReason: FhirScheduling.Str(r, "description"), Note: FhirScheduling.Str(r, "comment")), ct);
        var created = await db.Appointments.AsNoTracking().FirstAsync(a => a.Id == result.Appointments[0].Id, ct);
        return (await RenderAsync([created], ct))[0];
    }

    public async Task<FhirResource> UpdateAsync(string id, JsonElement r, int? expectedVersion, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleWrite);
        var db = store.Db;
        var current = (Guid.TryParse(id, out var gid) ? await db.Appointments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == gid, ct) : null)
                      ?? throw new FhirOperationException(405, "not-supported", $"Appointment/{id} does not exist; Appointment ids are assigned by Meridian: create it with POST /fhir/Appointment.");
        var rendered = (await RenderAsync([current], ct))[0];
        using var mine = JsonDocument.Parse(rendered.Json);
        var differing = r.EnumerateObject().Select(p => p.Name).Concat(mine.RootElement.EnumerateObject().Select(p => p.Name)).Distinct()
            .Where(n => !Changeable.Contains(n) && n != "resourceType")
            .Where(n => !(r.TryGetProperty(n, out var theirs) && mine.RootElement.TryGetProperty(n, out var ours) && JsonElement.DeepEquals(theirs, ours)))
            .ToList();
        if (differing.Count > 0)
            throw FhirScheduling.Unprocessable($"Only start/end (reschedule) and status cancelled or noshow can be changed through FHIR; Appointment.{string.Join(", Appointment.", differing)} differ from the current version. " +
                "Read the Appointment, change only those elements, and send it back.", $"Appointment.{differing[0]}");

        var status = FhirScheduling.Str(r, "status");
        var currentStatus = FhirStatus(current.State);
        var start = FhirScheduling.Str(r, "start") is { } st ? DateTimeOffset.Parse(st, CultureInfo.InvariantCulture).UtcDateTime : (DateTime?)null;
        var end = FhirScheduling.Str(r, "end") is { } en ? DateTimeOffset.Parse(en, CultureInfo.InvariantCulture).UtcDateTime : (DateTime?)null;
        var moved = (start is { } s && s != current.StartUtc) || (end is { } e && e != current.EndUtc);
        if (status != currentStatus)
        {
            if (moved) throw FhirScheduling.Unprocessable("Change the time or the status, not both in one update.", "Appointment.status");
            switch (status)
            {
                case "cancelled":
                {
                    var reason = r.TryGetProperty("cancelationReason", out var cr)
                        ? FhirScheduling.Str(cr, "text") ?? FhirScheduling.Arr(cr, "coding").Select(c => FhirScheduling.Str(c, "display") ?? FhirScheduling.Str(c, "code")).FirstOrDefault(x => x is not null)
                        : null;
                    if (string.IsNullOrWhiteSpace(reason)) throw FhirScheduling.BadRequest("Say why: cancelationReason.text is required to cancel.", "required", "Appointment.cancelationReason");
                    await cancel.CancelAsync(current.Id, new CancelRequest(reason, expectedVersion), ct);
                    break;
                }
                case "noshow":
                    await cancel.NoShowAsync(current.Id, expectedVersion, ct);
                    break;
                default:
                    throw FhirScheduling.Unprocessable($"Appointment.status {currentStatus} → {status} is not supported through FHIR: arrival and check-in happen at the front desk; " +
                                                       "FHIR updates can cancel (cancelled) or record a no-show (noshow).", "Appointment.status");
            }
        }
        else if (moved)
        {
            if (start is null || end is null) throw FhirScheduling.BadRequest("A reschedule gives both start and end.", "required", "Appointment.start");
            await reschedule.HandleAsync(current.Id, new RescheduleRequest(new DateTimeOffset(start.Value), new DateTimeOffset(end.Value), ExpectedVersion: expectedVersion), ct);
        }
        else
        {
            if (expectedVersion is { } ev && ev != current.Version) throw SchedulingStore.Stale();
            await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Appointment", current.Id.ToString(), current.PatientId.ToString(), Detail: "FHIR update without changes"), ct);
            return rendered;
        }
        var after = await db.Appointments.AsNoTracking().FirstAsync(a => a.Id == current.Id, ct);
        return (await RenderAsync([after], ct))[0];
    }

    /// <summary>The appointment type: a Meridian type coding in appointmentType or serviceType, else the provider's only type.</summary>
    private async Task<AppointmentType> TypeAsync(JsonElement r, Guid providerId, CancellationToken ct)
    {
        var types = await store.Db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).Where(t => t.Active).ToListAsync(ct);
        var offered = types.Where(t => t.Providers.Count == 0 || t.Providers.Any(p => p.ProviderId == providerId)).ToList();
        var concepts = FhirScheduling.Arr(r, "serviceType").ToList();
        if (r.TryGetProperty("appointmentType", out var at)) concepts.Add(at);
        var codes = concepts.SelectMany(c => FhirScheduling.Arr(c, "coding"))
            .Where(c => FhirScheduling.Str(c, "system") == FhirScheduling.AppointmentTypeSystem).Select(c => FhirScheduling.Str(c, "code")).OfType<string>().Distinct().ToList();
        if (codes.Count > 1) throw FhirScheduling.Unprocessable("Give one Meridian appointment type.", "Appointment.serviceType");
        if (codes.Count == 1)
            return types.FirstOrDefault(t => t.Id.ToString() == codes[0])
                   ?? throw FhirScheduling.BadRequest($"{FhirScheduling.AppointmentTypeSystem}|{codes[0]} is not an active appointment type (see Schedule.serviceType).", expression: "Appointment.serviceType");
        if (offered.Count == 1) return offered[0];
        throw FhirScheduling.BadRequest($"Say which appointment type: a serviceType coding with system {FhirScheduling.AppointmentTypeSystem} and one of the codes in the practitioner's Schedule.serviceType.",
            "required", "Appointment.serviceType");
    }

    private async Task<List<FhirResource>> RenderAsync(IReadOnlyList<Appointment> list, CancellationToken ct)
    {
        if (list.Count == 0) return [];
        var db = store.Db;
        var providerIds = list.Select(a => a.ProviderId).Distinct().ToList();
        var locationIds = list.Select(a => a.LocationId).Distinct().ToList();
        var typeIds = list.Select(a => a.AppointmentTypeId).Distinct().ToList();
        var providers = await db.Providers.AsNoTracking().Where(p => providerIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var locations = await db.Locations.AsNoTracking().Where(l => locationIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        var types = await db.AppointmentTypes.AsNoTracking().Where(t => typeIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, ct);
        return list.Select(a =>
        {
            var (provider, location, type) = (providers[a.ProviderId], locations[a.LocationId], types[a.AppointmentTypeId]);
            var zone = Zones.Get(location.TimeZone);
            var status = FhirStatus(a.State);
            var json = FhirScheduling.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("resourceType", "Appointment");
                w.WriteString("id", a.Id.ToString());
                w.WriteStartObject("meta");
                w.WriteString("versionId", a.Version.ToString(CultureInfo.InvariantCulture));
                w.WriteString("lastUpdated", DateTime.SpecifyKind(a.UpdatedAt, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteString("status", status);
                if (a.State == AppointmentStatus.Cancelled && a.CancelReason is { Length: > 0 } reason)
                {
                    w.WriteStartObject("cancelationReason");
                    w.WriteString("text", reason);
                    w.WriteEndObject();
                }
                w.WriteStartArray("serviceType");
                FhirScheduling.TypeConcept(w, type);
                w.WriteEndArray();
                if (a.VisitReason is { Length: > 0 } why) w.WriteString("description", why);
                w.WriteString("start", FhirScheduling.Instant(a.StartUtc, zone));
                w.WriteString("end", FhirScheduling.Instant(a.EndUtc, zone));
                w.WriteNumber("minutesDuration", (int)(a.EndUtc - a.StartUtc).TotalMinutes);
                // The slot this appointment fills (computed, like every Slot): what a client booked through Slot/{id}.
                if (a.Holds)
                {
                    w.WriteStartArray("slot");
                    w.WriteStartObject();
                    w.WriteString("reference", $"Slot/{FhirIds.Slot(a.ProviderId, a.LocationId, a.StartUtc, (int)(a.EndUtc - a.StartUtc).TotalMinutes)}");
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WriteString("created", DateTime.SpecifyKind(a.CreatedAt, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                if (a.Note is { Length: > 0 } note) w.WriteString("comment", note);
                w.WriteStartArray("participant");
                Participant(w, $"Patient/{a.PatientId}", null);
                Participant(w, FhirScheduling.PractitionerRef(provider), provider.Name);
                Participant(w, FhirScheduling.LocationRef(location), location.Name);
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return new FhirResource(a.Id.ToString(), a.Version, new DateTimeOffset(DateTime.SpecifyKind(a.UpdatedAt, DateTimeKind.Utc)), json);
        }).ToList();
    }

    private static void Participant(Utf8JsonWriter w, string reference, string? display)
    {
        w.WriteStartObject();
        w.WriteStartObject("actor");
        w.WriteString("reference", reference);
        if (display is not null) w.WriteString("display", display);
        w.WriteEndObject();
        w.WriteString("required", "required");
        w.WriteString("status", "accepted");
        w.WriteEndObject();
    }
}
