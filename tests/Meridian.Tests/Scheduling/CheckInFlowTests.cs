using System.Net;
using System.Net.Http.Json;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

public abstract class CheckInFlowTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected CheckInFlowTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now); // Monday 8 March 2027, 09:00 in Chicago
    }

    private static DateTimeOffset Today(int hour, int minute = 0) => new(2027, 3, 8, hour, minute, 0, Central);

    [Fact]
    public async Task Check_in_records_arrival_the_confirmations_and_the_copay_for_billing()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var booked = await BookedAsync(desk, p, await PatientAsync(desk), Today(10));
        var id = booked.GetProperty("id").GetString()!;

        var arrived = await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/check-in",
            new { demographicsConfirmed = true, coverageConfirmed = true, copayAmount = 25.00m, copayMethod = "card" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Arrived", arrived.GetProperty("status").GetString());
        Assert.Equal(25.00m, arrived.GetProperty("copayCollected").GetDecimal());
        Assert.Equal(Now, arrived.GetProperty("arrivedAt").GetDateTimeOffset());
        var details = await (await desk.GetAsync($"/api/scheduling/appointments/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains("copay $25.00 card", details.GetProperty("history")[1].GetProperty("detail").GetString());

        using var twice = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/check-in", new { demographicsConfirmed = true, coverageConfirmed = true });
        await twice.ExpectAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Check_in_refuses_unconfirmed_demographics_a_bad_copay_and_another_day_and_changes_nothing()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var today = (await BookedAsync(desk, p, await PatientAsync(desk), Today(11))).GetProperty("id").GetString()!;
        var tomorrow = (await BookedAsync(desk, p, await PatientAsync(desk), Today(11).AddDays(1))).GetProperty("id").GetString()!;

        using var unconfirmed = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{today}/check-in", new { demographicsConfirmed = false, coverageConfirmed = true });
        await unconfirmed.ExpectAsync(HttpStatusCode.BadRequest);
        using var badCopay = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{today}/check-in",
            new { demographicsConfirmed = true, coverageConfirmed = true, copayAmount = -5m, copayMethod = "barter" });
        var errors = (await badCopay.ExpectAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("copayAmount", out _) && errors.TryGetProperty("copayMethod", out _));
        using var early = await desk.PostAsJsonAsync($"/api/scheduling/appointments/{tomorrow}/check-in", new { demographicsConfirmed = true, coverageConfirmed = true });
        await early.ExpectAsync(HttpStatusCode.Conflict);

        var still = await (await desk.GetAsync($"/api/scheduling/appointments/{today}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Scheduled", still.GetProperty("appointment").GetProperty("status").GetString());
        Assert.Equal(1, still.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public async Task The_flow_board_moves_a_patient_forward_through_a_room_and_shows_time_in_status_and_wait()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var nurse = await _app.ClientForRoleAsync(Roles.Nurse);
        var p = await PracticeAsync(admin, rooms: 2);
        var id = (await BookedAsync(desk, p, await PatientAsync(desk), Today(9, 30))).GetProperty("id").GetString()!;
        await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/check-in", new { demographicsConfirmed = true, coverageConfirmed = true }))
            .ExpectAsync(HttpStatusCode.OK);

        using var noRoom = await nurse.PostAsJsonAsync($"/api/scheduling/appointments/{id}/status", new { status = "Roomed" });
        await noRoom.ExpectAsync(HttpStatusCode.BadRequest);
        var roomed = await (await nurse.PostAsJsonAsync($"/api/scheduling/appointments/{id}/status", new { status = "Roomed", roomId = p.RoomIds[1] }))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Exam 2", roomed.GetProperty("roomName").GetString());
        using var back = await nurse.PostAsJsonAsync($"/api/scheduling/appointments/{id}/status", new { status = "Arrived" });
        await back.ExpectAsync(HttpStatusCode.BadRequest);

        var board = await (await desk.GetAsync($"/api/scheduling/flow-board?locationId={p.LocationId}&date=2027-03-08")).ExpectAsync(HttpStatusCode.OK);
        var row = board.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("appointment").GetProperty("id").GetString() == id);
        Assert.Equal("Roomed", row.GetProperty("appointment").GetProperty("status").GetString());
        Assert.Equal(0, row.GetProperty("minutesInStatus").GetInt32());
        Assert.Equal(0, row.GetProperty("waitMinutes").GetInt32());
        await (await nurse.PostAsJsonAsync($"/api/scheduling/appointments/{id}/status", new { status = "Done" })).ExpectAsync(HttpStatusCode.OK);
        using var after = await nurse.PostAsJsonAsync($"/api/scheduling/appointments/{id}/status", new { status = "CheckingOut" });
        await after.ExpectAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Everyone_watching_the_flow_board_stream_hears_of_a_change_at_their_location_at_once()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var id = (await BookedAsync(desk, p, await PatientAsync(desk), Today(13, 30))).GetProperty("id").GetString()!;
        using var watcher = await _app.ClientForRoleAsync(Roles.Nurse);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/scheduling/flow-board/stream?locationId={p.LocationId}");
        using var response = await watcher.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await reader.ReadLineAsync());

        await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/check-in", new { demographicsConfirmed = true, coverageConfirmed = true }))
            .ExpectAsync(HttpStatusCode.OK);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith("data:", StringComparison.Ordinal)) { }
        Assert.NotNull(line);
        Assert.Contains(id, line);
        Assert.Contains("arrived", line);
    }
}

public sealed class CheckInFlowTests_Sqlite(SqliteApp app) : CheckInFlowTests<SqliteApp>(app);
public sealed class CheckInFlowTests_PostgreSql(PostgreSqlApp app) : CheckInFlowTests<PostgreSqlApp>(app);
