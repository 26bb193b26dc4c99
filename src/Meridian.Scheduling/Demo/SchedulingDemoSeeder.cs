using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Demo;

/// <summary>
/// The demo practice's schedule: its two Springfield, Illinois locations (America/Chicago) with exam rooms, the four
/// physicians and the nurse of the practice directory, their weekly templates with a lunch block, the coming
/// public holidays, appointment types, and a realistically filled calendar from two weeks ago to four weeks ahead.
/// Idempotent: nothing is added when locations exist. The bench calls <see cref="SeedScheduleAsync"/> with larger sizes.
/// </summary>
internal sealed class SchedulingDemoSeeder(SchedulingDbContext db, IPatientDirectory patients, IAuditTrail audit, TimeProvider time) : IDemoSeeder
{
    public int Order => 50; // after the patients (30) and the practice directory (20)

    public const string Zone = "America/Chicago";
    public static readonly Guid MainStreet = new("0195a000-0000-7000-8000-000000000001");
    public static readonly Guid Riverside = new("0195a000-0000-7000-8000-000000000002");

    private static readonly (string FhirId, string Name, string Npi, string Color)[] DemoProviders =
    [
        ("demo-practitioner-raman", "Dr. Priya Raman", "1045123456", "#1a73e8"),
        ("demo-practitioner-whitfield", "Dr. Daniel Whitfield", "1346798527", "#188038"),
        ("demo-practitioner-marquez", "Dr. Elena Marquez", "1452369873", "#a142f4"),
        ("demo-practitioner-watanabe", "Dr. Kenji Watanabe", "1569874120", "#e37400"),
        ("demo-practitioner-okafor", "Sam Okafor, RN", "1245789635", "#d93025"),
    ];

    public async Task SeedAsync(CancellationToken ct)
    {
        if (await db.Locations.AnyAsync(ct)) return;
        var ids = await patients.ListIdsAsync(5000, ct);
        var today = Zones.LocalDate(time.GetUtcNow().UtcDateTime, Zones.Get(Zone));
        await SeedScheduleAsync(providerCount: DemoProviders.Length, ids.Select(i => i.Value).ToList(), today.AddDays(-14), today.AddDays(28), fill: 0.6, seed: 2026, ct);
    }

    /// <summary>Creates locations, rooms, providers, types, templates and bookings from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public async Task<int> SeedScheduleAsync(int providerCount, IReadOnlyList<Guid> patientIds, DateOnly from, DateOnly to, double fill, int seed, CancellationToken ct)
    {
        var random = new Random(seed);
        var now = time.GetUtcNow().UtcDateTime;
        var locations = new[]
        {
            new Location { Id = MainStreet, Name = "Main Street Clinic", TimeZone = Zone, Phone = "(555) 010-2000", FhirLocationId = "demo-location-main-street", SlotMinutes = 15 },
            new Location { Id = Riverside, Name = "Riverside Office", TimeZone = Zone, Phone = "(555) 010-3000", FhirLocationId = "demo-location-riverside", SlotMinutes = 15 },
        };
        db.Locations.AddRange(locations);
        var rooms = new List<Resource>();
        var roomsPerLocation = Math.Max(4, providerCount / 2 + 2);
        foreach (var l in locations)
            for (var i = 1; i <= roomsPerLocation; i++)
                rooms.Add(new Resource { Id = Guid.CreateVersion7(), LocationId = l.Id, Kind = "room", Name = $"Exam {i}" });
        rooms.Add(new Resource { Id = Guid.CreateVersion7(), LocationId = MainStreet, Kind = "equipment", Name = "ECG machine" });
        db.Resources.AddRange(rooms);

        var providers = new List<Provider>();
        for (var i = 0; i < providerCount; i++)
        {
            var demo = i < DemoProviders.Length ? DemoProviders[i] : default;
            providers.Add(new Provider
            {
                Id = Guid.CreateVersion7(), Name = demo.Name ?? $"Dr. Provider {i + 1:000}", Npi = demo.Npi, FhirPractitionerId = demo.FhirId,
                Color = demo.Color ?? $"#{random.Next(0x202020, 0xc0c0c0):x6}",
            });
        }
        db.Providers.AddRange(providers);
        var nurse = providerCount >= 5 ? providers[4] : null;
        var physicians = providers.Where(p => p != nurse).ToList();
        var types = new[]
        {
            Type("New patient visit", 40, "#1a73e8", "new", "room", physicians),
            Type("Follow-up visit", 20, "#188038", "established", "room", physicians),
            Type("Annual physical", 40, "#a142f4", "any", "room", physicians),
            Type("Sick visit", 15, "#e37400", "any", "room", physicians),
            Type("Telehealth visit", 20, "#007b83", "established", "", physicians),
            Type("Nurse visit", 15, "#d93025", "any", "room", nurse is null ? [] : [nurse]),
        };
        db.AppointmentTypes.AddRange(types);

        // Weekly pattern: 08:00–17:00 with lunch 12:00–13:00; each provider splits the week between the two locations.
        var templates = new List<AvailabilityTemplate>();
        for (var i = 0; i < providers.Count; i++)
        {
            var p = providers[i];
            foreach (var l in locations)
            {
                var t = new AvailabilityTemplate { Id = Guid.CreateVersion7(), ProviderId = p.Id, LocationId = l.Id, Name = $"{p.Name} at {l.Name}", EffectiveFrom = from.AddYears(-1), Version = 1 };
                foreach (var day in new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday })
                {
                    var atMain = ((int)day + i) % 2 == 0;
                    if (atMain != (l.Id == MainStreet)) continue;
                    t.Rules.Add(Rule(t, day, 8, 0, 17, 0, "open", null));
                    t.Rules.Add(Rule(t, day, 12, 0, 13, 0, "blocked", "Lunch"));
                }
                templates.Add(t);
            }
        }
        db.Templates.AddRange(templates);
        var zone = Zones.Get(Zone);
        foreach (var (date, name) in Holidays(from.Year).Concat(Holidays(from.Year + 1)).Where(h => h.Date >= from && h.Date <= to.AddDays(60)))
            foreach (var l in locations)
                db.Exceptions.Add(new AvailabilityException
                {
                    Id = Guid.CreateVersion7(), LocationId = l.Id, Kind = "closed", Reason = name,
                    StartUtc = Zones.StartOfDayUtc(date, zone), EndUtc = Zones.StartOfDayUtc(date.AddDays(1), zone),
                });
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        // Bookings: walk each provider's open time and fill a share of the slots, with the room and patient free too.
        var count = 0;
        if (patientIds.Count == 0) return 0;
        var exceptions = await db.Exceptions.AsNoTracking().ToListAsync(ct);
        var byLocation = locations.ToDictionary(l => l.Id);
        var roomBusy = new HashSet<(Guid, DateTime)>();
        var patientBusy = new HashSet<(Guid, DateTime)>();
        var batch = new List<Appointment>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            foreach (var p in providers)
            {
                var kinds = p == nurse ? types.Where(t => t.Name == "Nurse visit").ToArray() : types.Where(t => t.Name != "Nurse visit").ToArray();
                foreach (var open in Availability.Open(p.Id, templates, byLocation, exceptions, day, day))
                {
                    var t = open.Start;
                    while (t < open.End)
                    {
                        var type = kinds[random.Next(kinds.Length)];
                        var end = t.AddMinutes(type.DurationMinutes);
                        if (end > open.End) break;
                        if (random.NextDouble() < fill)
                        {
                            var patient = patientIds[random.Next(patientIds.Count)];
                            var room = type.RequiredResourceKinds.Length == 0 ? null
                                : rooms.FirstOrDefault(r => r.LocationId == open.LocationId && r.Kind == "room" && Free(r.Id, t, end));
                            if (patientBusy.Add((patient, t)) && (type.RequiredResourceKinds.Length == 0 || room is not null))
                            {
                                if (room is not null)
                                    for (var m = t; m < end; m = m.AddMinutes(5)) roomBusy.Add((room.Id, m));
                                var status = Past(end, now, random);
                                batch.Add(new Appointment
                                {
                                    Id = Guid.CreateVersion7(new DateTimeOffset(t)), PatientId = patient, ProviderId = p.Id, LocationId = open.LocationId,
                                    ResourceId = room?.Id, AppointmentTypeId = type.Id, StartUtc = t, EndUtc = end, Status = status.ToString(),
                                    StatusChangedAt = status == AppointmentStatus.Scheduled ? now.AddDays(-30) : end,
                                    CancelReason = status == AppointmentStatus.Cancelled ? "Patient called to cancel" : null,
                                    DoneAt = status == AppointmentStatus.Done ? end : null, ArrivedAt = status == AppointmentStatus.Done ? t.AddMinutes(-10) : null,
                                    Version = 1, CreatedAt = now.AddDays(-30), UpdatedAt = now.AddDays(-30), CreatedBy = "demo",
                                });
                            }
                        }
                        t = end;
                    }
                }
            }
            if (batch.Count >= 2000) count += await FlushAsync(batch, ct);
        }
        count += await FlushAsync(batch, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Create, "Appointment", Detail: $"demo schedule: {count} appointments, {providers.Count} providers"), ct);
        return count;

        bool Free(Guid room, DateTime start, DateTime end)
        {
            for (var m = start; m < end; m = m.AddMinutes(5)) if (roomBusy.Contains((room, m))) return false;
            return true;
        }

        AppointmentType Type(string name, int minutes, string color, string kind, string resources, IEnumerable<Provider> offeredBy)
        {
            var t = new AppointmentType { Id = Guid.CreateVersion7(), Name = name, DurationMinutes = minutes, Color = color, PatientKind = kind, RequiredResourceKinds = resources };
            t.Providers.AddRange(offeredBy.Select(p => new AppointmentTypeProvider { AppointmentTypeId = t.Id, ProviderId = p.Id }));
            return t;
        }
    }

    private async Task<int> FlushAsync(List<Appointment> batch, CancellationToken ct)
    {
        if (batch.Count == 0) return 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Appointments.AddRange(batch);
        foreach (var a in batch)
            db.Events.Add(new AppointmentEvent { AppointmentId = a.Id, At = a.CreatedAt, Action = "booked", UserName = "demo" });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        var n = batch.Count;
        batch.Clear();
        return n;
    }

    /// <summary>Past appointments mostly happened; a few were cancelled or missed.</summary>
    private static AppointmentStatus Past(DateTime end, DateTime now, Random random)
    {
        if (end > now) return AppointmentStatus.Scheduled;
        var r = random.NextDouble();
        return r < 0.85 ? AppointmentStatus.Done : r < 0.95 ? AppointmentStatus.Cancelled : AppointmentStatus.NoShow;
    }

    private static AvailabilityRule Rule(AvailabilityTemplate t, DayOfWeek day, int h1, int m1, int h2, int m2, string kind, string? label) =>
        new() { Id = Guid.CreateVersion7(), TemplateId = t.Id, Weekday = day, Start = new TimeOnly(h1, m1), End = new TimeOnly(h2, m2), Kind = kind, Label = label };

    /// <summary>US federal holidays a practice typically closes for.</summary>
    internal static IEnumerable<(DateOnly Date, string Name)> Holidays(int year)
    {
        yield return (new DateOnly(year, 1, 1), "New Year's Day");
        yield return (Nth(year, 5, DayOfWeek.Monday, -1), "Memorial Day");
        yield return (new DateOnly(year, 7, 4), "Independence Day");
        yield return (Nth(year, 9, DayOfWeek.Monday, 1), "Labor Day");
        yield return (Nth(year, 11, DayOfWeek.Thursday, 4), "Thanksgiving Day");
        yield return (new DateOnly(year, 12, 25), "Christmas Day");
    }

    private static DateOnly Nth(int year, int month, DayOfWeek day, int n)
    {
        if (n > 0)
        {
            var d = new DateOnly(year, month, 1);
            while (d.DayOfWeek != day) d = d.AddDays(1);
            return d.AddDays(7 * (n - 1));
        }
        var last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        while (last.DayOfWeek != day) last = last.AddDays(-1);
        return last;
    }
}
