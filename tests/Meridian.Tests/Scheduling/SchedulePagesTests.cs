using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Patients.PatientTestData;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

/// <summary>
/// The schedule screens through the real pipeline: a cookie session, static server rendering, the same handlers as the API,
/// and a real database (both providers).
/// </summary>
public abstract partial class SchedulePagesTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected SchedulePagesTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    /// <summary>The page's text as a reader sees it (the renderer encodes non-ASCII such as the en dash).</summary>
    private static string Text(string html) => WebUtility.HtmlDecode(html);

    private const string Hostile = "<script>alert('x')</script>";

    private async Task<(Practice Practice, string PatientId, JsonElement Appointment, string Family)> BookedHostileAsync()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var family = UniqueFamily("Calendar");
        var patient = (await RegisterAsync(desk, Patient(family, Hostile, new DateOnly(1971, 4, 5)), allowDuplicate: true)).GetProperty("id").GetString()!;
        var appointment = await BookedAsync(desk, p, patient, new DateTimeOffset(2027, 3, 9, 10, 0, 0, Central), new { visitReason = "Knee pain" });
        return (p, patient, appointment, family);
    }

    [Fact]
    public async Task The_day_calendar_shows_the_booked_appointment_in_its_type_colour_with_the_patient_name_escaped()
    {
        var (p, _, appointment, family) = await BookedHostileAsync();
        using var client = await PageClient.SignedInAsync(_app, Roles.FrontDesk);

        var html = await client.GetPageAsync($"/schedule?date=2027-03-09&locationId={p.LocationId}");
        var id = appointment.GetProperty("id").GetString()!;
        var block = Regex.Match(html, $"<article class=\"sched-appt[^\"]*\" style=\"([^\"]*)\"[^>]*data-appointment-id=\"{id}\"[^>]*>(.*?)</article>", RegexOptions.Singleline);
        Assert.True(block.Success, "The appointment's block is not on the calendar: " + html);
        Assert.Contains("background:#112233", block.Groups[1].Value);
        Assert.Contains("color:#fff", block.Groups[1].Value); // readable on the dark type colour
        Assert.Contains($"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; {family}", block.Groups[2].Value);
        Assert.Contains("10:00–10:20", Text(block.Groups[2].Value));
        Assert.Contains("Scheduled", block.Groups[2].Value);
        Assert.DoesNotContain("<script>alert", html);
        // The block sits at 10:00 on a 07:00 grid: 12 rows of 1.25rem; the open hours (08:00–12:00 before lunch) are shaded.
        Assert.Contains("top:15rem", block.Groups[1].Value);
        Assert.Contains("title=\"Open 08:00–12:00\"", Text(html));
        Assert.Contains("title=\"Open 13:00–17:00\"", Text(html));
        // Without script the block's Move link opens the reschedule form; an empty cell links to booking at its time.
        Assert.Contains($"href=\"/schedule/appointments/{id}?move=1#reschedule\"", html);
        Assert.Contains($"data-start=\"2027-03-09T14:15:00-06:00\" href=\"/schedule/book?locationId={p.LocationId}&amp;providerId={p.ProviderId}&amp;start=2027-03-09T14%3A15\"", html);
    }

    [Fact]
    public async Task The_week_view_has_a_column_per_day_and_keeps_the_wall_clock_time_across_the_daylight_saving_change()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        // Monday 15 March 2027 is after US DST starts (14 March): 09:00 is -05:00.
        await BookedAsync(desk, p, patient, new DateTimeOffset(2027, 3, 15, 9, 0, 0, CentralDaylight));
        using var client = await PageClient.SignedInAsync(_app, Roles.FrontDesk);

        var html = await client.GetPageAsync($"/schedule?date=2027-03-17&view=week&providerId={p.ProviderId}");
        Assert.Equal(7, Regex.Matches(html, "<section class=\"sched-col\"").Count);
        Assert.Contains("Mon 15 Mar 2027 – Sun 21 Mar 2027", Text(html));
        Assert.Contains("data-start=\"2027-03-15T09:00:00-05:00\" data-duration=\"20\"", html);
        Assert.Contains("top:12.5rem", html); // 09:00 on the 07:00 grid, whatever the offset
    }

    [Fact]
    public async Task Booking_through_the_page_at_a_taken_time_is_refused_with_the_servers_message_and_nothing_is_stored()
    {
        var (p, _, appointment, _) = await BookedHostileAsync();
        var (_, desk) = await ClientsAsync(_app);
        var other = await PatientAsync(desk);
        using var client = await PageClient.SignedInAsync(_app, Roles.FrontDesk);
        var form = new Dictionary<string, string>
        {
            ["patientId"] = other, ["patientText"] = "x", ["appointmentTypeId"] = p.TypeId, ["locationId"] = p.LocationId, ["providerId"] = p.ProviderId,
            ["start"] = "2027-03-09T10:10", ["action"] = "book",
        };
        using var refused = await client.PostFormAsync("/schedule/book", "book", form);
        var html = await refused.HtmlAsync(HttpStatusCode.Conflict);
        Assert.Contains("That time is already taken: the provider", html);
        Assert.Contains("role=\"alert\"", html);

        form["start"] = "2027-03-09T12:15";
        using var lunch = await client.PostFormAsync("/schedule/book", "book", form);
        Assert.Contains("12:15", await lunch.HtmlAsync(HttpStatusCode.BadRequest));

        var day = await (await desk.GetAsync($"/api/scheduling/calendar?date=2027-03-09&providerId={p.ProviderId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Single(day.GetProperty("columns")[0].GetProperty("appointments").EnumerateArray());

        form["start"] = "2027-03-09T14:00";
        using var booked = await client.PostFormAsync("/schedule/book", "book", form);
        booked.AssertRedirect("/schedule?date=2027-03-09");
    }

    [Fact]
    public async Task Find_next_available_on_the_booking_page_lists_openings_that_book_when_chosen()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        using var client = await PageClient.SignedInAsync(_app, Roles.FrontDesk);
        var form = new Dictionary<string, string>
        {
            ["patientId"] = patient, ["patientText"] = "x", ["appointmentTypeId"] = p.TypeId, ["locationId"] = p.LocationId, ["providerId"] = "",
            ["action"] = "find",
        };
        var found = await (await client.PostFormAsync("/schedule/book", "book", form)).HtmlAsync();
        var slot = Regex.Match(found, "name=\"slot\" value=\"([^\"]+)\"");
        Assert.True(slot.Success, found);
        // Now is Monday 09:00 in Chicago: the first opening is 09:00 today.
        Assert.Equal($"{p.ProviderId}|2027-03-08T09:00:00-06:00", WebUtility.HtmlDecode(slot.Groups[1].Value));

        form.Remove("action");
        form["slot"] = WebUtility.HtmlDecode(slot.Groups[1].Value);
        using var booked = await client.PostFormAsync("/schedule/book", "book", form);
        booked.AssertRedirect("/schedule?date=2027-03-08");
        var id = Regex.Match(booked.Headers.Location!.OriginalString, "booked=([0-9a-f-]{36})").Groups[1].Value;
        var page = await client.GetPageAsync($"/schedule/appointments/{id}");
        Assert.Contains("Mon 8 Mar 2027 09:00–09:20", Text(page));
        Assert.Contains("booked", page);
    }

    [Fact]
    public async Task The_appointment_page_moves_cancels_and_refuses_a_stale_version()
    {
        var (p, _, appointment, _) = await BookedHostileAsync();
        var id = appointment.GetProperty("id").GetString()!;
        using var client = await PageClient.SignedInAsync(_app, Roles.FrontDesk);
        var url = $"/schedule/appointments/{id}";

        using var moved = await client.PostFormAsync(url, "reschedule", new Dictionary<string, string>
            { ["version"] = "1", ["start"] = "2027-03-09T15:00", ["providerId"] = p.ProviderId, ["reason"] = "patient asked" });
        moved.AssertRedirect(url + "?saved=moved");
        var page = await client.GetPageAsync(url + "?saved=moved");
        Assert.Contains("Tue 9 Mar 2027 15:00–15:20", Text(page));
        Assert.Contains("from 2027-03-09 10:00 to 2027-03-09 15:00 (patient asked)", page);

        using var stale = await client.PostFormAsync(url, "cancel", new Dictionary<string, string> { ["version"] = "1", ["reason"] = "ill" });
        Assert.Contains("changed by someone else", await stale.HtmlAsync(HttpStatusCode.PreconditionFailed));

        using var cancelled = await client.PostFormAsync(url, "cancel", new Dictionary<string, string> { ["version"] = "2", ["reason"] = "ill" });
        cancelled.AssertRedirect(url + "?saved=cancelled");
        Assert.Contains("Cancelled", await client.GetPageAsync(url));
    }

    [Fact]
    public async Task The_print_page_lists_time_patient_birth_date_type_and_reason_for_the_providers_day()
    {
        var (p, _, _, family) = await BookedHostileAsync();
        using var client = await PageClient.SignedInAsync(_app, Roles.Biller);

        var html = await client.GetPageAsync($"/schedule/print?providerId={p.ProviderId}&date=2027-03-09");
        Assert.Contains("data-print", html);
        Assert.Contains("10:00–10:20", Text(html));
        Assert.Contains($"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; {family}", html);
        Assert.Contains("04/05/1971", html);
        Assert.Contains("Knee pain", html);
        Assert.DoesNotContain("<script>alert", html);
    }

    [Fact]
    public async Task Opening_the_booking_page_for_a_patient_shows_them_and_audits_the_read()
    {
        var (_, desk) = await ClientsAsync(_app);
        var patient = await PatientAsync(desk);
        using var client = await PageClient.SignedInAsync(_app, Roles.FrontDesk);
        var html = await client.GetPageAsync($"/schedule/book?patientId={patient}");
        Assert.Matches("name=\"patientText\" value=\"[^\"]*Ana[^\"]*\"", html);
        var audit = await AuditForPatientAsync(_app, patient);
        Assert.Contains(audit, r => r.Action == "Read" && r.ResourceType == "Patient" && r.Detail == "booking page: patient prefilled");
    }

    [Fact]
    public async Task The_schedule_pages_send_an_anonymous_visitor_to_sign_in_and_keep_a_biller_out_of_booking()
    {
        using var anonymous = _app.AnonymousClient();
        foreach (var url in new[] { "/schedule", "/schedule/print", "/schedule/book", $"/schedule/appointments/{Guid.NewGuid()}" })
        {
            using var response = await anonymous.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/login", response.Headers.Location!.OriginalString);
        }

        // Every staff role reads the schedule; a biller (schedule.read only) cannot open the booking page.
        using var biller = await PageClient.SignedInAsync(_app, Roles.Biller);
        using var book = await biller.GetAsync("/schedule/book");
        Assert.NotEqual(HttpStatusCode.OK, book.StatusCode);
        var calendar = await biller.GetPageAsync("/schedule");
        Assert.DoesNotContain("Book an appointment", calendar);
        Assert.Contains("data-can-move=\"false\"", calendar);
    }
}

public sealed class SchedulePagesTests_Sqlite(SqliteApp app) : SchedulePagesTests<SqliteApp>(app);
public sealed class SchedulePagesTests_PostgreSql(PostgreSqlApp app) : SchedulePagesTests<PostgreSqlApp>(app);
