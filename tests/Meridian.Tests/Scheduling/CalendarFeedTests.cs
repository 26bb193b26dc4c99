using System.Net;
using System.Net.Http.Json;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

public abstract class CalendarFeedTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected CalendarFeedTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    /// <summary>RFC 5545 §3.1: a CRLF followed by one space or tab continues the previous line.</summary>
    private static List<string> Unfold(string ics)
    {
        Assert.DoesNotContain("\n", ics.Replace("\r\n", ""));
        var lines = new List<string>();
        foreach (var raw in ics.Split("\r\n"))
        {
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(raw) <= 75, $"line over 75 octets: {raw}");
            if (raw.StartsWith(' ') && lines.Count > 0) lines[^1] += raw[1..];
            else if (raw.Length > 0) lines.Add(raw);
        }
        return lines;
    }

    [Fact]
    public async Task A_providers_feed_lists_appointments_with_initials_only_and_cancelled_ones_as_cancelled()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin, rooms: 2);
        var kept = await BookedAsync(desk, p, await PatientAsync(desk), new DateTimeOffset(2027, 3, 9, 10, 0, 0, Central));
        var gone = await BookedAsync(desk, p, await PatientAsync(desk), new DateTimeOffset(2027, 3, 9, 11, 0, 0, Central));
        await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{gone.GetProperty("id").GetString()}/cancel", new { reason = "Sick" }))
            .ExpectAsync(HttpStatusCode.OK);
        // A type name with the characters iCalendar escapes.
        await (await admin.PutAsJsonAsync($"/api/scheduling/appointment-types/{p.TypeId}", new
        {
            name = "Follow-up; BP, labs \\ review", durationMinutes = 20, color = "#112233", requiredResourceKinds = new[] { "room" }, providerIds = new[] { p.ProviderId },
        })).ExpectAsync(HttpStatusCode.OK);

        var created = await (await admin.PostAsync($"/api/scheduling/providers/{p.ProviderId}/calendar-feed", null)).ExpectAsync(HttpStatusCode.OK);
        var url = new Uri(created.GetProperty("url").GetString()!);
        using var anonymous = _app.AnonymousClient();
        using var response = await anonymous.GetAsync(url.PathAndQuery);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        var lines = Unfold(await response.Content.ReadAsStringAsync());

        Assert.Equal("BEGIN:VCALENDAR", lines[0]);
        Assert.Contains("VERSION:2.0", lines);
        Assert.Contains($"UID:{kept.GetProperty("id").GetString()}@meridian", lines);
        Assert.Contains("DTSTART:20270309T160000Z", lines);
        Assert.Contains("SUMMARY:Follow-up\\; BP\\, labs \\\\ review – A.Z.", lines);
        Assert.Equal(1, lines.Count(l => l == "STATUS:CANCELLED"));
        Assert.DoesNotContain(lines, l => l.Contains("Ana"));
    }

    [Fact]
    public async Task Rotating_the_token_invalidates_the_old_url_and_revoking_ends_the_feed()
    {
        var (admin, _) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        using var anonymous = _app.AnonymousClient();
        var first = new Uri((await (await admin.PostAsync($"/api/scheduling/providers/{p.ProviderId}/calendar-feed", null)).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("url").GetString()!).PathAndQuery;
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(first)).StatusCode);
        var second = new Uri((await (await admin.PostAsync($"/api/scheduling/providers/{p.ProviderId}/calendar-feed", null)).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("url").GetString()!).PathAndQuery;
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(second)).StatusCode);
        (await admin.DeleteAsync($"/api/scheduling/providers/{p.ProviderId}/calendar-feed")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(second)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/calendar/not-a-real-token-at-all-not-a-real-token-xyz.ics")).StatusCode);
    }

    [Fact]
    public async Task Reading_the_feed_is_audited_as_an_export_for_each_patient_in_it()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        await BookedAsync(desk, p, patient, new DateTimeOffset(2027, 3, 9, 9, 0, 0, Central));
        var url = new Uri((await (await admin.PostAsync($"/api/scheduling/providers/{p.ProviderId}/calendar-feed", null)).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("url").GetString()!).PathAndQuery;
        using var anonymous = _app.AnonymousClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url)).StatusCode);
        var audit = await Meridian.Tests.Patients.PatientTestData.AuditForPatientAsync(_app, patient);
        Assert.Contains(audit, r => r.Action == "Export" && r.ResourceType == "Appointment" && r.Detail?.Contains("calendar feed") == true
                                    && r.UserId == $"calendar-feed:{p.ProviderId}");
    }

    [Fact]
    public async Task Front_desk_cannot_issue_a_feed_for_someone_else()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        using var response = await desk.PostAsync($"/api/scheduling/providers/{p.ProviderId}/calendar-feed", null);
        await response.ExpectAsync(HttpStatusCode.Forbidden);
    }
}

public sealed class CalendarFeedTests_Sqlite(SqliteApp app) : CalendarFeedTests<SqliteApp>(app);
public sealed class CalendarFeedTests_PostgreSql(PostgreSqlApp app) : CalendarFeedTests<PostgreSqlApp>(app);
