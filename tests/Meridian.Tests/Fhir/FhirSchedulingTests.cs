using System.Net;
using System.Text.Json;
using Meridian.Fhir.Validation;
using Meridian.Tests.Infrastructure;
using Meridian.Tests.Scheduling;
using static Meridian.Tests.Fhir.FhirTestData;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Fhir;

public abstract class FhirSchedulingTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected FhirSchedulingTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    private static void AssertOutcome(JsonElement body) => Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());

    private static List<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var e)
            ? e.EnumerateArray().Where(x => x.GetProperty("search").GetProperty("mode").GetString() == "match").Select(x => x.GetProperty("resource")).ToList()
            : [];

    /// <summary>Every resource Meridian emits passes the same R4 structural validation it applies to what clients send.</summary>
    private static void AssertValid(JsonElement resource)
    {
        var issues = ResourceValidator.Validate(resource, resource.GetProperty("resourceType").GetString()!);
        Assert.True(issues.Count == 0, string.Join("; ", issues.Select(i => $"{i.Expression}: {i.Diagnostics}")));
    }

    private async Task<(HttpClient Fhir, Practice Practice, string Patient, string ScheduleId)> SetUpAsync()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var practice = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        var fhir = await _app.SystemClientAsync();
        var schedules = await (await fhir.GetAsync($"/fhir/Schedule?actor=Practitioner/{practice.ProviderId}")).ExpectAsync(HttpStatusCode.OK);
        var schedule = Assert.Single(Entries(schedules));
        AssertValid(schedule);
        return (fhir, practice, patient, schedule.GetProperty("id").GetString()!);
    }

    private static string Booking(string patient, string? slot = null, string? extra = null) =>
        "{\"resourceType\":\"Appointment\",\"status\":\"booked\"," + (slot is null ? "" : $"\"slot\":[{{\"reference\":\"Slot/{slot}\"}}],") + (extra ?? "") +
        $"\"participant\":[{{\"actor\":{{\"reference\":\"Patient/{patient}\"}},\"status\":\"accepted\"}}]}}";

    private async Task<List<JsonElement>> SlotsAsync(HttpClient fhir, string scheduleId, Practice p, string day, string? status = null)
    {
        var next = $"/fhir/Slot?schedule=Schedule/{scheduleId}&start=ge{day}&start=lt{DateOnly.Parse(day).AddDays(1):yyyy-MM-dd}&service-type={p.TypeId}&_count=100"
                   + (status is null ? "" : $"&status={status}");
        var bundle = await (await fhir.GetAsync(next)).ExpectAsync(HttpStatusCode.OK);
        return Entries(bundle);
    }

    [Fact]
    public async Task A_client_books_a_free_slot_by_creating_an_Appointment_and_a_second_booking_of_it_is_refused_with_409_and_nothing_stored()
    {
        var (fhir, p, patient, scheduleId) = await SetUpAsync();
        var all = await SlotsAsync(fhir, scheduleId, p, "2027-03-09");
        Assert.All(all, AssertValid);
        // 08:00–17:00 in 20-minute slots, lunch 12:00–13:00 blocked: the template's hours cut up, nothing booked yet.
        Assert.Equal("2027-03-09T08:00:00-06:00", all[0].GetProperty("start").GetString());
        Assert.Equal("busy-unavailable", all.Single(s => s.GetProperty("start").GetString() == "2027-03-09T12:00:00-06:00").GetProperty("status").GetString());
        var free = await SlotsAsync(fhir, scheduleId, p, "2027-03-09", "free");
        Assert.All(free, s => Assert.Equal("free", s.GetProperty("status").GetString()));
        var slot = free.Single(s => s.GetProperty("start").GetString() == "2027-03-09T10:00:00-06:00");
        var slotId = slot.GetProperty("id").GetString()!;

        var response = await fhir.PostAsync("/fhir/Appointment", Body(Booking(patient, slotId)));
        var created = await response.ExpectAsync(HttpStatusCode.Created);
        AssertValid(created);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal("booked", created.GetProperty("status").GetString());
        Assert.Equal("2027-03-09T10:00:00-06:00", created.GetProperty("start").GetString());
        Assert.Equal("2027-03-09T10:20:00-06:00", created.GetProperty("end").GetString());
        Assert.Equal($"Slot/{slotId}", created.GetProperty("slot")[0].GetProperty("reference").GetString());
        Assert.Equal($"Patient/{patient}", created.GetProperty("participant")[0].GetProperty("actor").GetProperty("reference").GetString());
        var appointmentId = created.GetProperty("id").GetString()!;

        var busy = await (await fhir.GetAsync($"/fhir/Slot/{slotId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("busy", busy.GetProperty("status").GetString());

        var other = await PatientAsync(await _app.ClientForRoleAsync(Meridian.SharedKernel.Security.Roles.FrontDesk));
        var clash = await (await fhir.PostAsync("/fhir/Appointment", Body(Booking(other, slotId)))).ExpectAsync(HttpStatusCode.Conflict);
        AssertOutcome(clash);
        Assert.Equal("conflict", clash.GetProperty("issue")[0].GetProperty("code").GetString());
        var booked = await (await fhir.GetAsync($"/fhir/Appointment?practitioner=Practitioner/{p.ProviderId}&date=2027-03-09")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(appointmentId, Assert.Single(Entries(booked)).GetProperty("id").GetString());

        // The patient's appointments on that local day, and not on the next.
        var mine = await (await fhir.GetAsync($"/fhir/Appointment?patient=Patient/{patient}&date=2027-03-09")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, mine.GetProperty("total").GetInt32());
        var nextDay = await (await fhir.GetAsync($"/fhir/Appointment?patient=Patient/{patient}&date=2027-03-10")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, nextDay.GetProperty("total").GetInt32());
        var after = await (await fhir.GetAsync($"/fhir/Appointment?patient={patient}&date=ge2027-03-09T10:00:00-06:00&status=booked")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, after.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Cancelling_through_an_update_frees_the_slot_and_a_stale_If_Match_is_412()
    {
        var (fhir, p, patient, scheduleId) = await SetUpAsync();
        var slotId = (await SlotsAsync(fhir, scheduleId, p, "2027-03-10", "free"))[3].GetProperty("id").GetString()!;
        var created = await (await fhir.PostAsync("/fhir/Appointment", Body(Booking(patient, slotId)))).ExpectAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        var cancelled = created.GetRawText().Replace("\"status\":\"booked\"", "\"status\":\"cancelled\",\"cancelationReason\":{\"text\":\"Patient called; away that week\"}");
        using (var request = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Appointment/{id}") { Content = Body(cancelled) })
        {
            request.Headers.TryAddWithoutValidation("If-Match", "W/\"1\"");
            var updated = await (await fhir.SendAsync(request)).ExpectAsync(HttpStatusCode.OK);
            AssertValid(updated);
            Assert.Equal("cancelled", updated.GetProperty("status").GetString());
            Assert.Equal("2", updated.GetProperty("meta").GetProperty("versionId").GetString());
            Assert.Equal("Patient called; away that week", updated.GetProperty("cancelationReason").GetProperty("text").GetString());
        }
        var slot = await (await fhir.GetAsync($"/fhir/Slot/{slotId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("free", slot.GetProperty("status").GetString());

        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Appointment/{id}") { Content = Body(cancelled) };
        stale.Headers.TryAddWithoutValidation("If-Match", "W/\"1\"");
        AssertOutcome(await (await fhir.SendAsync(stale)).ExpectAsync(HttpStatusCode.PreconditionFailed));
    }

    [Fact]
    public async Task Rescheduling_through_an_update_moves_the_appointment_and_other_changes_are_refused_with_422()
    {
        var (fhir, p, patient, _) = await SetUpAsync();
        var created = await (await fhir.PostAsync("/fhir/Appointment", Body(
            $$"""{"resourceType":"Appointment","status":"booked","start":"2027-03-11T09:00:00-06:00","end":"2027-03-11T09:20:00-06:00","participant":[{"actor":{"reference":"Patient/{{patient}}"},"status":"accepted"},{"actor":{"reference":"Practitioner/{{p.ProviderId}}"},"status":"accepted"}]}""")))
            .ExpectAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var moved = created.GetRawText().Replace("2027-03-11T09:00:00-06:00", "2027-03-11T14:00:00-06:00").Replace("2027-03-11T09:20:00-06:00", "2027-03-11T14:20:00-06:00");
        var after = await (await fhir.PutAsync($"/fhir/Appointment/{id}", Body(moved))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("2027-03-11T14:00:00-06:00", after.GetProperty("start").GetString());
        Assert.Equal("2", after.GetProperty("meta").GetProperty("versionId").GetString());

        var otherChange = after.GetRawText().Replace("\"status\":\"booked\"", "\"status\":\"booked\",\"priority\":3");
        var refused = await (await fhir.PutAsync($"/fhir/Appointment/{id}", Body(otherChange))).ExpectAsync((HttpStatusCode)422);
        AssertOutcome(refused);
        Assert.Contains("Appointment.priority", refused.GetProperty("issue")[0].GetProperty("diagnostics").GetString());
        var arrived = after.GetRawText().Replace("\"status\":\"booked\"", "\"status\":\"arrived\"");
        AssertOutcome(await (await fhir.PutAsync($"/fhir/Appointment/{id}", Body(arrived))).ExpectAsync((HttpStatusCode)422));
    }

    [Fact]
    public async Task Malformed_or_unknown_elements_are_400_a_client_without_the_Appointment_scope_is_403_and_a_wide_slot_range_is_refused()
    {
        var (fhir, p, patient, scheduleId) = await SetUpAsync();
        var unknown = await (await fhir.PostAsync("/fhir/Appointment", Body(Booking(patient, extra: "\"colour\":\"red\",")))).ExpectAsync(HttpStatusCode.BadRequest);
        AssertOutcome(unknown);
        AssertOutcome(await (await fhir.PostAsync("/fhir/Appointment", Body("{\"resourceType\":\"Appointment\","))).ExpectAsync(HttpStatusCode.BadRequest));
        AssertOutcome(await (await fhir.PostAsync("/fhir/Appointment", Body(Booking(patient, slot: "nosuchslot")))).ExpectAsync(HttpStatusCode.NotFound));

        using var patientsOnly = await _app.SystemClientAsync("system/Patient.rs");
        AssertOutcome(await (await patientsOnly.GetAsync($"/fhir/Appointment?patient=Patient/{patient}")).ExpectAsync(HttpStatusCode.Forbidden));
        AssertOutcome(await (await patientsOnly.PostAsync("/fhir/Appointment", Body(Booking(patient))))
            .ExpectAsync(HttpStatusCode.Forbidden));

        var wide = await (await fhir.GetAsync($"/fhir/Slot?schedule=Schedule/{scheduleId}&start=ge2027-03-09&start=lt2027-05-01")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("31 days", wide.GetProperty("issue")[0].GetProperty("diagnostics").GetString());
        // No range at all: defaulted, and the Bundle says so in an outcome entry.
        var defaulted = await (await fhir.GetAsync($"/fhir/Slot?schedule=Schedule/{scheduleId}&status=free&_count=5")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(5, Entries(defaulted).Count);
        Assert.Contains(defaulted.GetProperty("link").EnumerateArray(), l => l.GetProperty("relation").GetString() == "next");
        Assert.Contains(defaulted.GetProperty("entry").EnumerateArray(), e => e.GetProperty("search").GetProperty("mode").GetString() == "outcome");
    }

    [Fact]
    public async Task The_capability_statement_lists_Schedule_Slot_and_Appointment_with_their_search_parameters()
    {
        using var anonymous = _app.AnonymousClient();
        var cs = await (await anonymous.GetAsync("/fhir/metadata")).ExpectAsync(HttpStatusCode.OK);
        var resources = cs.GetProperty("rest")[0].GetProperty("resource").EnumerateArray().ToDictionary(r => r.GetProperty("type").GetString()!);
        var appointment = resources["Appointment"];
        Assert.Equal(["read", "update", "create", "search-type"], appointment.GetProperty("interaction").EnumerateArray().Select(i => i.GetProperty("code").GetString()));
        Assert.Contains(appointment.GetProperty("searchParam").EnumerateArray(), s => s.GetProperty("name").GetString() == "date");
        Assert.Equal(["read", "search-type"], resources["Slot"].GetProperty("interaction").EnumerateArray().Select(i => i.GetProperty("code").GetString()));
        Assert.Contains(resources["Schedule"].GetProperty("searchParam").EnumerateArray(), s => s.GetProperty("name").GetString() == "actor");
    }
}

public sealed class FhirSchedulingTests_Sqlite(SqliteApp app) : FhirSchedulingTests<SqliteApp>(app);
public sealed class FhirSchedulingTests_PostgreSql(PostgreSqlApp app) : FhirSchedulingTests<PostgreSqlApp>(app);
