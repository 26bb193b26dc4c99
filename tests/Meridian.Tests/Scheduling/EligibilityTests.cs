using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Patients.PatientTestData;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

public abstract class EligibilityTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected EligibilityTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    private async Task<(HttpClient Desk, string AppointmentId, string PatientId)> BookWithCoverageAsync(string memberId, string payerId = "60054")
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        await (await admin.PutAsJsonAsync($"/api/scheduling/providers/{p.ProviderId}", new { name = "Dr. Priya Raman", npi = "1045123456", color = "#336699" }))
            .ExpectAsync(HttpStatusCode.OK);
        var coverage = Coverage(memberId: memberId);
        coverage["payerId"] = payerId;
        var patient = (await RegisterAsync(desk, Patient(UniqueFamily(), "Eve", UniqueBirthDate()), [coverage])).GetProperty("id").GetString()!;
        var booked = await BookedAsync(desk, p, patient, new DateTimeOffset(2027, 3, 8, 10, 0, 0, Central));
        return (desk, booked.GetProperty("id").GetString()!, patient);
    }

    [Fact]
    public async Task An_active_coverage_shows_its_plan_dates_and_copay_on_the_appointment_and_the_chart_header()
    {
        var (desk, id, patient) = await BookWithCoverageAsync(UniqueMemberId());
        var result = await (await desk.PostAsync($"/api/scheduling/appointments/{id}/eligibility", null)).ExpectAsync(HttpStatusCode.OK);
        Assert.True(result.GetProperty("status").GetString() == "Active", result.GetRawText());
        Assert.True(result.GetProperty("copay").GetDecimal() > 0);
        Assert.NotEqual(JsonValueKind.Null, result.GetProperty("planBegin").ValueKind);

        var appointment = await (await desk.GetAsync($"/api/scheduling/appointments/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Active", appointment.GetProperty("appointment").GetProperty("eligibility").GetProperty("status").GetString());
        var header = await (await desk.GetAsync($"/api/patients/{patient}/header")).JsonAsync();
        Assert.Contains("Eligibility", header.GetRawText());
        Assert.Contains("Active", header.GetRawText());
    }

    [Theory]
    [InlineData("INACT", "60054", "Inactive")]
    [InlineData("ERR", "60054", "Rejected")]
    [InlineData("NOTFOUND", "60054", "Rejected")]
    [InlineData("W", "UNAVAIL", "Rejected")]
    public async Task Inactive_and_rejected_answers_are_shown_with_the_payers_reason(string memberPrefix, string payerId, string status)
    {
        var (desk, id, patient) = await BookWithCoverageAsync(memberPrefix + Random.Shared.Next(100000, 999999), payerId);
        var result = await (await desk.PostAsync($"/api/scheduling/appointments/{id}/eligibility", null)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(status, result.GetProperty("status").GetString());
        if (status == "Rejected") Assert.NotEqual(0, result.GetProperty("messages").GetArrayLength());
        var header = await (await desk.GetAsync($"/api/patients/{patient}/header")).JsonAsync();
        Assert.Contains("eligibility", header.GetRawText());
    }

    [Fact]
    public async Task A_patient_without_coverage_gets_a_clear_error_and_no_check_is_recorded()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var booked = await BookedAsync(desk, p, await PatientAsync(desk), new DateTimeOffset(2027, 3, 8, 11, 0, 0, Central));
        using var response = await desk.PostAsync($"/api/scheduling/appointments/{booked.GetProperty("id").GetString()}/eligibility", null);
        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("no active coverage", body.GetProperty("errors").GetProperty("coverage")[0].GetString());
    }

    [Fact]
    public async Task The_batch_checks_tomorrows_schedule_once()
    {
        var (desk, _, _) = await BookWithCoverageAsync(UniqueMemberId());
        var first = await (await desk.PostAsJsonAsync("/api/scheduling/eligibility/batch", new { date = "2027-03-08" })).ExpectAsync(HttpStatusCode.OK);
        Assert.True(first.GetProperty("checked").GetInt32() >= 1);
        var again = await (await desk.PostAsJsonAsync("/api/scheduling/eligibility/batch", new { date = "2027-03-08" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, again.GetProperty("checked").GetInt32());
    }

    [Fact]
    public async Task A_batch_for_an_impossible_date_is_400_and_for_an_unknown_location_404()
    {
        var (desk, _, _) = await BookWithCoverageAsync(UniqueMemberId());
        var bad = await (await desk.PostAsJsonAsync("/api/scheduling/eligibility/batch", new { date = "9999-12-31" })).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("date", out _), bad.ToString());
        await (await desk.PostAsJsonAsync("/api/scheduling/eligibility/batch", new { date = "2027-03-08", locationId = Guid.NewGuid() }))
            .ExpectAsync(HttpStatusCode.NotFound);
    }
}

public sealed class EligibilityTests_Sqlite(SqliteApp app) : EligibilityTests<SqliteApp>(app);
public sealed class EligibilityTests_PostgreSql(PostgreSqlApp app) : EligibilityTests<PostgreSqlApp>(app);
