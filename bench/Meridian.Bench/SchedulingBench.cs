using System.Diagnostics;
using System.Text.Json;
using Meridian.Patients.Contracts;
using Meridian.Patients.Demo;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Demo;
using Meridian.Scheduling.Domain;
using Meridian.Scheduling.Features.Calendar;
using Meridian.Scheduling.Features.FindAvailable;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Bench;

/// <summary>
/// Issue 3's figures: with 50 providers, two years of history and ~300,000 appointments — a provider's day view p95, find
/// next available for any of 20 providers over 14 days p95, and booking throughput with the conflict check.
///   dotnet run -c Release --project bench/Meridian.Bench -- --suite scheduling --provider Sqlite [--appointments 300000]
/// </summary>
internal static class SchedulingBench
{
    public static async Task RunAsync(BenchOptions options, BenchHost app, List<(string Name, string Value, string Budget, bool? Met)> results, int targetAppointments)
    {
        var sw = Stopwatch.StartNew();
        await app.WithScopeAsync(sp => sp.GetRequiredService<PatientDemoSeeder>().SeedAsync(options.Patients, seed: 42, batchSize: 2_000));
        Console.WriteLine($"  seeded {options.Patients:N0} patients in {sw.Elapsed.TotalSeconds:N1} s");
        var patientIds = await app.WithScopeAsync(async sp => (await sp.GetRequiredService<IPatientDirectory>().ListIdsAsync(options.Patients)).Select(p => p.Value).ToList());

        // 50 providers, each full day 08:00–17:00 minus lunch; fill chosen so that ~targetAppointments land in two years + four weeks.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var (from, to) = (today.AddDays(-730), today.AddDays(28));
        const int providers = 50;
        var workdays = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Count(d => from.AddDays(d).DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));
        var perFullDay = 7 * 60 / 27.0; // open minutes / mean visit length of the demo types
        var fill = Math.Min(1.0, targetAppointments / (providers * workdays * perFullDay));
        sw.Restart();
        var seeded = await app.WithScopeAsync(sp => sp.GetRequiredService<SchedulingDemoSeeder>().SeedScheduleAsync(providers, patientIds, from, to, fill, seed: 7, CancellationToken.None));
        sw.Stop();
        Console.WriteLine($"  seeded {seeded:N0} appointments for {providers} providers in {sw.Elapsed.TotalSeconds:N1} s");
        results.Add(("Seed schedule (50 providers, 2 years + 4 weeks)", $"{seeded:N0} appointments in {sw.Elapsed.TotalSeconds:N1} s ({seeded / sw.Elapsed.TotalSeconds:N0}/s)", "", null));

        var setup = await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<SchedulingDbContext>();
            var ps = await db.Providers.AsNoTracking().OrderBy(p => p.Name).Select(p => p.Id).ToListAsync();
            var types = await db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).ToListAsync();
            var rules = await db.Templates.AsNoTracking().Include(t => t.Rules).ToListAsync();
            return (ps, types, rules);
        });
        var followUp = setup.types.First(t => t.Name == "Follow-up visit");
        // "Any of 20 providers": a type offered by 20 of them.
        var twenty = setup.ps.Take(20).ToList();
        var benchType = await app.AsStaffAsync("Administrator", sp => sp.GetRequiredService<Meridian.Scheduling.Features.Setup.ManageSetupHandler>()
            .SaveTypeAsync(null, new Meridian.Scheduling.Features.Setup.AppointmentTypeInput("Bench visit", 20, "#123456", "any", ["room"], twenty)));

        // Day view: a random provider on a random weekday of the seeded range, through the handler the page and API call.
        var random = new Random(11);
        var weekdays = Enumerable.Range(0, to.DayNumber - from.DayNumber).Select(d => from.AddDays(d)).Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).ToList();
        var dayLatencies = await MeasureAsync(1_000, 100, () => app.AsStaffAsync("FrontDesk", sp => sp.GetRequiredService<CalendarHandler>()
            .HandleAsync(new CalendarQuery(weekdays[random.Next(weekdays.Count)], 1, ProviderId: setup.ps[random.Next(setup.ps.Count)]))));
        results.Add(("Provider day view, in-process (p50 / p95)", $"{dayLatencies.P50:N2} ms / {dayLatencies.P95:N2} ms", "p95 ≤ 30 ms", dayLatencies.P95 <= 30));

        // Find next available for any of the 20 providers over 14 days, starting somewhere in the coming four weeks.
        var nextLatencies = await MeasureAsync(300, 30, () => app.AsStaffAsync("FrontDesk", sp => sp.GetRequiredService<FindNextAvailableHandler>()
            .HandleAsync(new FindAvailableQuery(benchType.Id, From: DateTimeOffset.UtcNow.AddDays(random.Next(0, 28)), To: null, Count: 5))));
        results.Add(("Find next available, any of 20 providers, 14 days (p50 / p95)", $"{nextLatencies.P50:N2} ms / {nextLatencies.P95:N2} ms", "p95 ≤ 100 ms", nextLatencies.P95 <= 100));

        // Booking throughput over HTTP: distinct providers and times beyond the seeded range, each booking checked for
        // conflicts (provider, patient, room pool) under its lock, audited, in one transaction.
        var zone = Zones.Get(SchedulingDemoSeeder.Zone);
        var where = setup.rules.SelectMany(t => t.Rules.Where(r => r.Kind == "open").Select(r => (t.ProviderId, r.Weekday, t.LocationId)))
            .ToDictionary(x => (x.ProviderId, x.Weekday), x => x.LocationId);
        var bookingDays = Enumerable.Range(60, 640).Select(d => today.AddDays(d)).Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).ToList();
        // Bookable patients only (the seeded population includes deceased patients, whom booking refuses), and the
        // providers who offer the type (the nurse does not see follow-ups).
        var bookable = new List<Guid>();
        foreach (var chunk in patientIds.Chunk(1_000))
            bookable.AddRange(await app.WithScopeAsync(async sp => (await sp.GetRequiredService<IPatientDirectory>()
                .FindManyAsync(chunk.Select(id => new PatientId(id)).ToList())).Where(p => p.Details.DeceasedDate is null).Select(p => p.Id.Value).ToList()));
        var offering = followUp.Providers.Select(p => p.ProviderId).ToHashSet();
        var bookingProviders = setup.ps.Where(offering.Contains).ToList();
        string Body(int i)
        {
            // 24 twenty-minute slots a day per provider (08:00–12:00, 13:00–17:00). Warm-up requests (numbered from
            // 5,000,000 by the load runner) book a later stretch of days than the measured ones, so none collide.
            if (i >= 5_000_000) i = i - 5_000_000 + 100_000;
            var provider = bookingProviders[i % bookingProviders.Count];
            var slot = i / bookingProviders.Count;
            var day = bookingDays[slot / 24];
            var s = slot % 24;
            var time = new TimeOnly(s < 12 ? 8 : 13, 0).AddMinutes(20 * (s % 12));
            var start = Zones.ToUtc(day, time, zone);
            return JsonSerializer.Serialize(new
            {
                patientId = bookable[i % bookable.Count], providerId = provider, locationId = where[(provider, day.DayOfWeek)],
                appointmentTypeId = followUp.Id, start = new DateTimeOffset(start),
            });
        }
        using var desk = BenchHost.NewClient(app.BaseAddress, await app.StaffTokenAsync("FrontDesk"));
        var bookings = await Load.RunPostAsync(desk, "/api/scheduling/appointments", Body, concurrency: 8, TimeSpan.FromSeconds(options.Seconds));
        results.Add(("Bookings over HTTP with the conflict check, 8 concurrent clients", bookings.ToString(), options.Provider == Meridian.SharedKernel.Data.DatabaseProvider.Sqlite ? "≥ 300/s" : "",
            options.Provider == Meridian.SharedKernel.Data.DatabaseProvider.Sqlite ? bookings.PerSecond >= 300 : null));
    }

    private static async Task<(double P50, double P95)> MeasureAsync<T>(int count, int warmUp, Func<Task<T>> work)
    {
        var latencies = new List<double>();
        for (var i = 0; i < count + warmUp; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await work();
            if (i >= warmUp) latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.95)]);
    }
}
