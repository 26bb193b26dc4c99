using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Scheduling;

/// <summary>A practice corner of its own per test: a location, provider, room(s), type and weekly template, created through the API.</summary>
internal sealed record Practice(string LocationId, string ProviderId, string TypeId, string TimeZone, IReadOnlyList<string> RoomIds);

internal static class SchedulingTestData
{
    /// <summary>Monday 8 March 2027, 09:00 in Chicago (15:00Z): the week before US daylight saving time starts (Sunday 14 March 2027).</summary>
    public static readonly DateTimeOffset Now = new(2027, 3, 8, 15, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Central = TimeSpan.FromHours(-6);
    public static readonly TimeSpan CentralDaylight = TimeSpan.FromHours(-5);

    public static async Task<Practice> PracticeAsync(HttpClient admin, string timeZone = "America/Chicago", int duration = 20, int rooms = 1,
        string requiredKind = "room", bool lunch = true, string[]? days = null)
    {
        var location = await (await admin.PostAsJsonAsync("/api/scheduling/locations", new { name = "Clinic " + UniqueFamily(), timeZone, slotMinutes = 15 }))
            .ExpectAsync(HttpStatusCode.OK);
        var locationId = location.GetProperty("id").GetString()!;
        var roomIds = new List<string>();
        for (var i = 1; i <= rooms; i++)
            roomIds.Add((await (await admin.PostAsJsonAsync("/api/scheduling/resources", new { locationId, kind = "room", name = $"Exam {i}" }))
                .ExpectAsync(HttpStatusCode.OK)).GetProperty("id").GetString()!);
        var provider = await (await admin.PostAsJsonAsync("/api/scheduling/providers", new { name = "Dr. " + UniqueFamily(), color = "#336699" }))
            .ExpectAsync(HttpStatusCode.OK);
        var providerId = provider.GetProperty("id").GetString()!;
        var type = await (await admin.PostAsJsonAsync("/api/scheduling/appointment-types", new
            {
                name = "Visit " + UniqueFamily(), durationMinutes = duration, color = "#112233",
                requiredResourceKinds = requiredKind.Length == 0 ? Array.Empty<string>() : [requiredKind], providerIds = new[] { providerId },
            }))
            .ExpectAsync(HttpStatusCode.OK);
        var rules = new List<object>();
        foreach (var day in days ?? ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
        {
            rules.Add(new { weekday = day, start = "08:00", end = "17:00", kind = "open" });
            if (lunch) rules.Add(new { weekday = day, start = "12:00", end = "13:00", kind = "blocked", label = "Lunch" });
        }
        await (await admin.PostAsJsonAsync("/api/scheduling/templates", new
            {
                providerId, locationId, name = "Weekdays", effectiveFrom = "2027-01-01", rules,
            }))
            .ExpectAsync(HttpStatusCode.OK);
        return new Practice(locationId, providerId, type.GetProperty("id").GetString()!, timeZone, roomIds);
    }

    public static async Task<string> PatientAsync(HttpClient frontDesk)
    {
        var p = await RegisterAsync(frontDesk, Patient(UniqueFamily(), "Ana", UniqueBirthDate()));
        return p.GetProperty("id").GetString()!;
    }

    public static Task<HttpResponseMessage> BookAsync(HttpClient client, Practice p, string patientId, DateTimeOffset start, object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["patientId"] = patientId, ["providerId"] = p.ProviderId, ["locationId"] = p.LocationId, ["appointmentTypeId"] = p.TypeId,
            ["start"] = start,
        };
        if (extra is not null)
            foreach (var prop in JsonSerializer.SerializeToElement(extra).EnumerateObject()) body[prop.Name] = prop.Value;
        return client.PostAsJsonAsync("/api/scheduling/appointments", body);
    }

    public static async Task<JsonElement> BookedAsync(HttpClient client, Practice p, string patientId, DateTimeOffset start, object? extra = null) =>
        (await (await BookAsync(client, p, patientId, start, extra)).ExpectAsync(HttpStatusCode.Created)).GetProperty("appointments")[0];

    public static async Task<(HttpClient Admin, HttpClient FrontDesk)> ClientsAsync(MeridianApp app) =>
        (await app.ClientForRoleAsync(Roles.Administrator), await app.ClientForRoleAsync(Roles.FrontDesk));
}
