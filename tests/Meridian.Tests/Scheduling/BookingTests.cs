using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

public abstract class BookingTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected BookingTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    private static DateTimeOffset Local(int month, int day, int hour, int minute = 0, TimeSpan? offset = null) =>
        new(2027, month, day, hour, minute, 0, offset ?? Central);

    [Fact]
    public async Task Booking_a_free_time_returns_it_in_the_location_zone_with_a_room_and_a_history()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);

        var booked = await BookedAsync(desk, p, patient, Local(3, 9, 10));
        Assert.Equal(Local(3, 9, 10), booked.GetProperty("start").GetDateTimeOffset());
        Assert.Equal("-06:00", booked.GetProperty("start").GetString()![^6..]);
        Assert.Equal(p.RoomIds[0], booked.GetProperty("resourceId").GetString());
        Assert.Equal("Scheduled", booked.GetProperty("status").GetString());

        var details = await (await desk.GetAsync($"/api/scheduling/appointments/{booked.GetProperty("id").GetString()}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("booked", details.GetProperty("history")[0].GetProperty("action").GetString());
    }

    [Fact]
    public async Task Twenty_parallel_attempts_on_the_same_time_let_exactly_one_through()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, rooms: 25);
        var patients = new List<string>();
        for (var i = 0; i < 20; i++) patients.Add(await PatientAsync(desk));
        var clients = Enumerable.Range(0, 20).Select(_ => _app.ClientForRoleAsync(Roles.FrontDesk)).ToList();
        var start = Local(3, 10, 14);

        var responses = await Task.WhenAll(patients.Select(async (patient, i) => await BookAsync(await clients[i], p, patient, start)));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var conflict = await responses.First(r => r.StatusCode == HttpStatusCode.Conflict).JsonAsync();
        Assert.Contains("already", conflict.GetProperty("detail").GetString());
        Assert.Equal("provider", conflict.GetProperty("conflicts")[0].GetProperty("holder").GetString());

        var day = await (await desk.GetAsync($"/api/scheduling/calendar?date=2027-03-10&providerId={p.ProviderId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, day.GetProperty("columns")[0].GetProperty("appointments").GetArrayLength());
    }

    [Fact]
    public async Task A_patient_cannot_hold_two_overlapping_appointments_even_with_different_providers()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var first = await PracticeAsync(admin);
        var second = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        await BookedAsync(desk, first, patient, Local(3, 11, 9));

        using var clash = await BookAsync(desk, second, patient, Local(3, 11, 9, 10));
        var body = await clash.ExpectAsync(HttpStatusCode.Conflict);
        Assert.Equal("patient", body.GetProperty("conflicts")[0].GetProperty("holder").GetString());
        // Back to back is not an overlap: [09:00, 09:20) then [09:20, 09:40).
        await BookedAsync(desk, second, patient, Local(3, 11, 9, 20));
    }

    [Fact]
    public async Task A_room_cannot_hold_two_overlapping_appointments_so_the_second_provider_is_told_no_room_is_free()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, rooms: 1);
        var other = await (await admin.PostAsJsonAsync("/api/scheduling/providers", new { name = "Dr. Second", color = "#123456" })).ExpectAsync(HttpStatusCode.OK);
        var otherId = other.GetProperty("id").GetString()!;
        await (await admin.PostAsJsonAsync("/api/scheduling/templates", new
        {
            providerId = otherId, locationId = p.LocationId, name = "Weekdays", effectiveFrom = "2027-01-01",
            rules = new[] { new { weekday = "Friday", start = "08:00", end = "17:00", kind = "open" } },
        })).ExpectAsync(HttpStatusCode.OK);
        await (await admin.PutAsJsonAsync($"/api/scheduling/appointment-types/{p.TypeId}", new
        {
            name = "Shared visit " + Guid.NewGuid().ToString("N")[..6], durationMinutes = 20, color = "#112233", requiredResourceKinds = new[] { "room" },
            providerIds = new[] { p.ProviderId, otherId },
        })).ExpectAsync(HttpStatusCode.OK);
        await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 12, 9));

        using var second = await BookAsync(desk, p with { ProviderId = otherId }, await PatientAsync(desk), Local(3, 12, 9));
        var body = await second.ExpectAsync(HttpStatusCode.Conflict);
        Assert.Contains("No room is free", body.GetProperty("detail").GetString());
        using var explicitRoom = await BookAsync(desk, p with { ProviderId = otherId }, await PatientAsync(desk), Local(3, 12, 9), new { resourceId = p.RoomIds[0] });
        Assert.Equal("room", (await explicitRoom.ExpectAsync(HttpStatusCode.Conflict)).GetProperty("conflicts")[0].GetProperty("holder").GetString());
    }

    [Fact]
    public async Task Front_desk_cannot_override_a_conflict_but_a_physician_can_and_the_override_is_kept_and_audited()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var physician = await _app.ClientForRoleAsync(Roles.Physician);
        var p = await PracticeAsync(admin, rooms: 3);
        await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 9, 11));
        var patient = await PatientAsync(desk);

        using var denied = await BookAsync(desk, p, patient, Local(3, 9, 11), new { allowConflict = true });
        await denied.ExpectAsync(HttpStatusCode.Forbidden);

        var overridden = await BookedAsync(physician, p, patient, Local(3, 9, 11), new { allowConflict = true });
        Assert.True(overridden.GetProperty("conflictOverride").GetBoolean());
        var id = overridden.GetProperty("id").GetString()!;
        var details = await (await physician.GetAsync($"/api/scheduling/appointments/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains("override", details.GetProperty("history")[0].GetProperty("detail").GetString());
        var audit = await (await admin.GetAsync($"/api/audit?patientId={patient}&action=Create")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), r => r.GetProperty("detail").GetString()!.Contains("conflict override"));
    }

    [Theory]
    [InlineData(12, 30, "not available")]   // the lunch block
    [InlineData(17, 0, "not available")]    // closing time
    [InlineData(7, 45, "not available")]    // before opening
    public async Task A_time_outside_open_hours_is_refused_with_a_clear_message(int hour, int minute, string expected)
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        using var response = await BookAsync(desk, p, await PatientAsync(desk), Local(3, 9, hour, minute));
        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains(expected, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Bad_times_are_refused_and_nothing_is_stored()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        var cases = new (object Extra, DateTimeOffset Start, string Field, string Text)[]
        {
            (new { end = Local(3, 9, 9) }, Local(3, 9, 10), "end", "ends before it starts"),
            (new { end = Local(3, 9, 10) }, Local(3, 9, 10), "end", "no length"),
            (new { }, Local(3, 1, 10), "start", "in the past"),
            (new { }, Local(3, 9, 10).AddSeconds(30), "start", "whole minute"),
        };
        foreach (var (extra, start, field, text) in cases)
        {
            using var response = await BookAsync(desk, p, patient, start, extra);
            var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
            Assert.Contains(text, string.Join(" ", body.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString())));
        }
        using var unknownZone = await admin.PostAsJsonAsync("/api/scheduling/locations", new { name = "Nowhere", timeZone = "Mars/Olympus_Mons" });
        Assert.Contains("IANA", (await unknownZone.ExpectAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("timeZone")[0].GetString());
        using var badType = await admin.PostAsJsonAsync("/api/scheduling/appointment-types", new { name = "Zero", durationMinutes = 0, color = "#000000" });
        await badType.ExpectAsync(HttpStatusCode.BadRequest);
        using var backwards = await admin.PostAsJsonAsync("/api/scheduling/templates", new
        {
            providerId = p.ProviderId, locationId = p.LocationId, name = "Backwards", effectiveFrom = "2027-01-01",
            rules = new[] { new { weekday = "Monday", start = "17:00", end = "08:00", kind = "open" } },
        });
        await backwards.ExpectAsync(HttpStatusCode.BadRequest);

        var day = await (await desk.GetAsync($"/api/scheduling/calendar?date=2027-03-09&providerId={p.ProviderId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, day.GetProperty("columns")[0].GetProperty("appointments").GetArrayLength());
        var locations = await (await desk.GetAsync("/api/scheduling/locations")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(locations.EnumerateArray(), l => l.GetProperty("name").GetString() == "Nowhere");
    }

    [Fact]
    public async Task Dates_at_the_edge_of_the_calendar_get_a_400_not_a_500()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        foreach (var url in new[]
        {
            $"/api/scheduling/calendar?date=9999-12-31&days=7&providerId={p.ProviderId}",
            $"/api/scheduling/flow-board?locationId={p.LocationId}&date=9999-12-31",
            $"/api/scheduling/availability?appointmentTypeId={p.TypeId}&from=9999-12-31T00:00:00Z",
        })
        {
            using var response = await desk.GetAsync(url);
            await response.ExpectAsync(HttpStatusCode.BadRequest);
        }
        using var closure = await admin.PostAsJsonAsync("/api/scheduling/exceptions",
            new { locationId = p.LocationId, kind = "closed", reason = "End of time", fromDate = "9999-12-31" });
        Assert.Contains("between 1900 and 2200", (await closure.ExpectAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("fromDate")[0].GetString());
    }

    [Fact]
    public async Task Rescheduling_moves_the_appointment_records_the_move_and_refuses_a_conflict_or_a_stale_version()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, rooms: 2);
        var booked = await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 10, 9));
        var other = await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 10, 10));
        var id = booked.GetProperty("id").GetString()!;

        var moved = await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/reschedule", new { start = Local(3, 10, 11), expectedVersion = 1 }))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(Local(3, 10, 11), moved.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(2, moved.GetProperty("version").GetInt32());

        using var clash = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/reschedule", new { start = Local(3, 10, 10, 10), expectedVersion = 2 });
        await clash.ExpectAsync(HttpStatusCode.Conflict);
        using var stale = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/reschedule", new { start = Local(3, 10, 14), expectedVersion = 1 });
        await stale.ExpectAsync(HttpStatusCode.PreconditionFailed);

        var details = await (await desk.GetAsync($"/api/scheduling/appointments/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(Local(3, 10, 11), details.GetProperty("appointment").GetProperty("start").GetDateTimeOffset());
        var history = details.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()).ToList();
        Assert.Equal(["booked", "rescheduled"], history);
        Assert.Contains("from 2027-03-10 09:00 to 2027-03-10 11:00", details.GetProperty("history")[1].GetProperty("detail").GetString());
        Assert.Equal("Scheduled", other.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancelling_needs_a_reason_keeps_the_reason_and_frees_the_time()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var booked = await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 11, 15));
        var id = booked.GetProperty("id").GetString()!;
        using var noReason = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/cancel", new { reason = " " });
        await noReason.ExpectAsync(HttpStatusCode.BadRequest);

        var cancelled = await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/cancel", new { reason = "Feeling better" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Cancelled", cancelled[0].GetProperty("status").GetString());
        Assert.Equal("Feeling better", cancelled[0].GetProperty("cancelReason").GetString());
        await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 11, 15));
        using var again = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/cancel", new { reason = "twice" });
        await again.ExpectAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_no_show_can_only_be_recorded_once_the_appointment_has_started()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var booked = await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 8, 10));
        var id = booked.GetProperty("id").GetString()!;
        using var early = await desk.PostAsync($"/api/scheduling/appointments/{id}/no-show", null);
        await early.ExpectAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_weekly_series_keeps_its_wall_clock_time_across_the_daylight_saving_change_and_one_occurrence_moves_alone()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, rooms: 2);
        var patient = await PatientAsync(desk);
        using var response = await BookAsync(desk, p, patient, Local(3, 9, 9), new { recurrence = new { frequency = "weekly", interval = 1, count = 4 } });
        var result = await response.ExpectAsync(HttpStatusCode.Created);
        var series = result.GetProperty("appointments").EnumerateArray().ToList();
        Assert.Equal(4, series.Count);
        // 9 March is CST (UTC-6); 16, 23 and 30 March are CDT (UTC-5): still 09:00 on the clinic's clock.
        Assert.Equal(Local(3, 9, 9), series[0].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(Local(3, 16, 9, 0, CentralDaylight), series[1].GetProperty("start").GetDateTimeOffset());
        Assert.All(series, a => Assert.Equal(9, a.GetProperty("start").GetDateTimeOffset().Hour));
        Assert.Equal(new DateTimeOffset(2027, 3, 16, 14, 0, 0, TimeSpan.Zero), series[1].GetProperty("start").GetDateTimeOffset().ToUniversalTime());

        var second = series[1].GetProperty("id").GetString()!;
        await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{second}/reschedule", new { start = Local(3, 16, 14, 0, CentralDaylight) }))
            .ExpectAsync(HttpStatusCode.OK);
        await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{series[2].GetProperty("id").GetString()}/cancel", new { reason = "Travel" }))
            .ExpectAsync(HttpStatusCode.OK);
        var fourth = await (await desk.GetAsync($"/api/scheduling/appointments/{series[3].GetProperty("id").GetString()}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Scheduled", fourth.GetProperty("appointment").GetProperty("status").GetString());
        Assert.Equal(Local(3, 30, 9, 0, CentralDaylight), fourth.GetProperty("appointment").GetProperty("start").GetDateTimeOffset());
        Assert.Equal(4, fourth.GetProperty("appointment").GetProperty("seriesIndex").GetInt32());
    }

    [Fact]
    public async Task A_monthly_series_by_weekday_books_the_same_weekday_position_each_month()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        // Tuesday 9 March 2027 is the second Tuesday.
        var result = await (await BookAsync(desk, p, await PatientAsync(desk), Local(3, 9, 10),
            new { recurrence = new { frequency = "monthly", monthlyBy = "weekday", count = 3 } })).ExpectAsync(HttpStatusCode.Created);
        var dates = result.GetProperty("appointments").EnumerateArray().Select(a => a.GetProperty("start").GetDateTimeOffset().Date).ToList();
        Assert.Equal([new DateTime(2027, 3, 9), new DateTime(2027, 4, 13), new DateTime(2027, 5, 11)], dates);
    }

    [Fact]
    public async Task A_series_with_a_taken_occurrence_is_refused_whole_unless_told_to_skip_it()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, rooms: 2);
        await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 16, 10, 0, CentralDaylight));
        var patient = await PatientAsync(desk);
        var recurrence = new { frequency = "weekly", count = 3 };
        using var refused = await BookAsync(desk, p, patient, Local(3, 9, 10), new { recurrence });
        await refused.ExpectAsync(HttpStatusCode.Conflict);
        var day = await (await desk.GetAsync($"/api/scheduling/calendar?date=2027-03-09&providerId={p.ProviderId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, day.GetProperty("columns")[0].GetProperty("appointments").GetArrayLength());

        var partial = await (await BookAsync(desk, p, patient, Local(3, 9, 10), new { recurrence, skipConflictingOccurrences = true })).ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(2, partial.GetProperty("appointments").GetArrayLength());
        Assert.Equal(1, partial.GetProperty("skipped").GetArrayLength());
    }

    [Fact]
    public async Task Find_next_available_skips_lunch_bookings_and_closures_and_follows_the_clock_change()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, duration: 60, rooms: 2);
        // Tuesday: 08:00 and 09:00 taken, lunch 12–13.
        await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 9, 8));
        await BookedAsync(desk, p, await PatientAsync(desk), Local(3, 9, 9));
        var from = Local(3, 9, 7);
        var openings = await (await desk.GetAsync($"/api/scheduling/availability?appointmentTypeId={p.TypeId}&providerId={p.ProviderId}&from={Uri.EscapeDataString(from.ToString("O"))}&count=6"))
            .ExpectAsync(HttpStatusCode.OK);
        var starts = openings.EnumerateArray().Select(o => o.GetProperty("start").GetDateTimeOffset()).ToList();
        Assert.Equal(Local(3, 9, 10), starts[0]);
        Assert.DoesNotContain(starts, s => s.Hour is 12 || (s.Hour == 11 && s.Minute > 0));
        Assert.True(starts.SequenceEqual(starts.Order()));

        // A closure of the whole location on Monday 15 March (after the clock change) moves the first opening to Tuesday 08:00 CDT.
        await (await admin.PostAsJsonAsync("/api/scheduling/exceptions", new { locationId = p.LocationId, kind = "closed", reason = "Staff training", fromDate = "2027-03-15" }))
            .ExpectAsync(HttpStatusCode.OK);
        var after = await (await desk.GetAsync($"/api/scheduling/availability?appointmentTypeId={p.TypeId}&providerId={p.ProviderId}&from=2027-03-13T00:00:00Z&count=1"))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(Local(3, 16, 8, 0, CentralDaylight), after[0].GetProperty("start").GetDateTimeOffset());
    }

    [Fact]
    public async Task The_location_day_view_shows_a_column_per_provider_with_open_hours_and_audits_each_patient_shown()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        await BookedAsync(desk, p, patient, Local(3, 9, 8, 30));
        var day = await (await desk.GetAsync($"/api/scheduling/calendar?date=2027-03-09&locationId={p.LocationId}")).ExpectAsync(HttpStatusCode.OK);
        var column = day.GetProperty("columns")[0];
        Assert.Equal(p.ProviderId, column.GetProperty("id").GetString());
        Assert.Equal(2, column.GetProperty("open").GetArrayLength()); // 08–12 and 13–17
        Assert.Equal(Local(3, 9, 13), column.GetProperty("open")[1].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(patient, column.GetProperty("appointments")[0].GetProperty("patientId").GetString());
        var audit = await (await admin.GetAsync($"/api/audit?patientId={patient}&action=Search")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), r => r.GetProperty("resourceType").GetString() == "Appointment");
    }

    [Fact]
    public async Task A_biller_can_read_the_schedule_but_not_book()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var biller = await _app.ClientForRoleAsync(Roles.Biller);
        var p = await PracticeAsync(admin);
        using var book = await BookAsync(biller, p, await PatientAsync(desk), Local(3, 9, 10));
        await book.ExpectAsync(HttpStatusCode.Forbidden);
        using var read = await biller.GetAsync($"/api/scheduling/calendar?date=2027-03-09&providerId={p.ProviderId}");
        await read.ExpectAsync(HttpStatusCode.OK);
    }
}

public sealed class BookingTests_Sqlite(SqliteApp app) : BookingTests<SqliteApp>(app);
public sealed class BookingTests_PostgreSql(PostgreSqlApp app) : BookingTests<PostgreSqlApp>(app);
