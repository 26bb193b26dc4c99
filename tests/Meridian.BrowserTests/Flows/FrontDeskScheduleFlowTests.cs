using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.BrowserTests.Infrastructure;
using Meridian.SharedKernel.Security;
using Microsoft.Playwright;

namespace Meridian.BrowserTests.Flows;

/// <summary>
/// Issue 3 section 7: the front desk books a patient through "Find next available", drags the appointment to another time,
/// is refused a conflicting booking with the server's message on screen, checks the patient in with an eligibility result, and rooms them on the flow
/// board while a second screen sees the change live (server-sent events, no reload). The practice is set up through the API.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class FrontDeskScheduleFlowTests(MeridianSite site)
{
    [Fact]
    public async Task The_front_desk_books_the_next_opening_drags_it_is_refused_a_conflict_checks_in_with_eligibility_and_rooms_the_patient_seen_live_on_a_second_screen()
    {
        // A zone where it is late morning now, so the whole flow (book, move later today, check in today) fits the open hours.
        var offset = 11 - DateTime.UtcNow.Hour;
        var zone = offset == 0 ? "Etc/GMT" : offset > 0 ? $"Etc/GMT-{offset}" : $"Etc/GMT+{-offset}";
        var today = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(offset)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var tag = UniqueLetters();
        var p = await SetUpPracticeAsync(zone, tag);

        // 1. Book through Find next available, choosing the patient with the typeahead.
        var desk = await SignInFrontDeskAsync();
        await desk.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Schedule", Exact = true }).ClickAsync();
        await desk.GotoAsync($"/schedule/book?locationId={p.LocationId}");
        await PickPatientAsync(desk, p.Family1, p.Patient1);
        await desk.GetByLabel("Appointment type").SelectOptionAsync(p.TypeId);
        await desk.GetByLabel("Provider").SelectOptionAsync(p.ProviderId);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Find next available" }).ClickAsync();
        var openings = desk.Locator("#openings button");
        await Assertions.Expect(openings.First).ToBeVisibleAsync();
        await Assertions.Expect(openings.First).ToContainTextAsync(p.ProviderName);
        await MeridianSite.ScreenshotAsync(desk, "schedule-openings");
        await openings.First.ClickAsync();
        await Assertions.Expect(desk.Locator("#schedule-booked")).ToBeVisibleAsync();
        var id = BookedId().Match(desk.Url).Groups[1].Value;
        var block = desk.Locator($".sched-appt[data-appointment-id='{id}']");
        await Assertions.Expect(block).ToContainTextAsync($"Ana {p.Family1}");
        await Assertions.Expect(block).ToHaveAttributeAsync("style", new Regex("background:#7b2d8b"));
        await MeridianSite.ScreenshotAsync(desk, "schedule-booked");

        // 2. Drag the block to 16:00 the same day: pointer down on the block, move, release over the 16:00 cell.
        var cell = desk.Locator($".sched-col[data-provider-id='{p.ProviderId}'] .sched-cell[data-start^='{today}T16:00']");
        await block.EvaluateAsync("e => e.scrollIntoView({ block: 'start', behavior: 'instant' })"); // both ends inside the viewport, no smooth scroll
        var from = (await block.BoundingBoxAsync())!;
        var to = (await cell.BoundingBoxAsync())!;
        var grab = (X: from.X + 12, Y: from.Y + from.Height * 0.75f);
        await desk.Mouse.MoveAsync(grab.X, grab.Y);
        await desk.Mouse.DownAsync();
        await desk.Mouse.MoveAsync(to.X + 12, to.Y + (grab.Y - from.Y) + 3, new() { Steps = 12 });
        await desk.Mouse.UpAsync();
        await Assertions.Expect(desk.Locator($".sched-appt[data-appointment-id='{id}']")).ToHaveAttributeAsync("data-start", new Regex($"^{today}T16:00"));
        await Assertions.Expect(desk.Locator($".sched-appt[data-appointment-id='{id}']")).ToHaveAttributeAsync("data-version", "2");
        await MeridianSite.ScreenshotAsync(desk, "schedule-dragged");

        // 3. Another patient at 16:00 with the same provider: refused, with the server's message on screen.
        await desk.GotoAsync($"/schedule/book?locationId={p.LocationId}&providerId={p.ProviderId}&start={today}T16:00");
        await PickPatientAsync(desk, p.Family2, p.Patient2);
        await desk.GetByLabel("Appointment type").SelectOptionAsync(p.TypeId);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Book at this time" }).ClickAsync();
        var refusal = desk.GetByRole(AriaRole.Alert).Filter(new() { HasText = "That time is already taken" });
        await Assertions.Expect(refusal).ToBeVisibleAsync();
        await Assertions.Expect(refusal).ToContainTextAsync("the provider");
        await MeridianSite.ScreenshotAsync(desk, "schedule-conflict");

        // 4. Check in: demographics and coverage from the patient record, copay by card.
        await desk.GotoAsync($"/schedule/appointments/{id}");
        var checkIn = desk.Locator("#check-in");
        await Assertions.Expect(checkIn.Locator("#checkin-demographics")).ToContainTextAsync("12 Elm Street");
        await Assertions.Expect(checkIn.Locator("#checkin-coverage")).ToContainTextAsync("Blue Prairie Health");
        await checkIn.GetByLabel("Name, date of birth, address and phone confirmed").CheckAsync();
        await checkIn.GetByLabel("Insurance card seen and coverage confirmed").CheckAsync();
        await checkIn.GetByRole(AriaRole.Button, new() { Name = "Check eligibility" }).ClickAsync();
        var eligibility = checkIn.Locator("#eligibility-result");
        await Assertions.Expect(eligibility).ToContainTextAsync("Active");
        await Assertions.Expect(eligibility).ToContainTextAsync("Copay");
        await MeridianSite.ScreenshotAsync(desk, "check-in-eligibility");
        await checkIn.GetByLabel("Copay collected ($)").FillAsync("25.00");
        await checkIn.GetByLabel("Paid by").SelectOptionAsync("card");
        await checkIn.GetByRole(AriaRole.Button, new() { Name = "Check in" }).ClickAsync();
        await Assertions.Expect(desk.Locator("#appointment-status")).ToHaveTextAsync("Arrived");
        await Assertions.Expect(desk.Locator("#appointment-details")).ToContainTextAsync("$25.00");
        await Assertions.Expect(desk.Locator("#appointment-eligibility")).ToContainTextAsync("Active"); // the check is kept on the appointment

        // 5. A second screen watches the flow board; the desk rooms the patient; the watcher sees it without reloading.
        var watcher = await SignInFrontDeskAsync();
        await watcher.GotoAsync($"/schedule/flow-board?locationId={p.LocationId}");
        var watched = watcher.Locator($"[data-appointment-row='{id}']");
        await Assertions.Expect(watched.Locator("[data-status]")).ToHaveTextAsync("Arrived");
        await Assertions.Expect(watcher.Locator("[data-flow-board]")).ToHaveAttributeAsync("data-live", "true");
        var watcherUrl = watcher.Url;

        await desk.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Flow board", Exact = true }).ClickAsync();
        await desk.GotoAsync($"/schedule/flow-board?locationId={p.LocationId}");
        var row = desk.Locator($"[data-appointment-row='{id}']");
        await row.GetByLabel($"Room for Ana {p.Family1}").SelectOptionAsync(new SelectOptionValue { Label = "Exam A" });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Room: Ana {p.Family1}" }).ClickAsync();
        await Assertions.Expect(desk.Locator($"[data-appointment-row='{id}'] [data-status]")).ToHaveTextAsync("Roomed");

        await Assertions.Expect(watcher.Locator($"[data-appointment-row='{id}'] [data-status]")).ToHaveTextAsync("Roomed");
        await Assertions.Expect(watcher.Locator($"[data-appointment-row='{id}']")).ToContainTextAsync("Exam A");
        await Assertions.Expect(watcher.Locator("#flow-live")).ToContainTextAsync("Roomed");
        Assert.Equal(watcherUrl, watcher.Url); // no navigation: the stream updated the board in place
        await MeridianSite.ScreenshotAsync(watcher, "flow-board-live");
    }

    private sealed record PracticeIds(string LocationId, string ProviderId, string ProviderName, string TypeId, string Patient1, string Family1, string Patient2, string Family2);

    /// <summary>The administrator sets up a location, a room, a provider, a type and an all-week template through the API.</summary>
    private async Task<PracticeIds> SetUpPracticeAsync(string zone, string tag)
    {
        var admin = await site.NewPageAsync();
        await StaffSteps.SignInAsAdministratorAsync(site, admin);
        var api = admin.Context.APIRequest;
        var location = await PostAsync(api, "/api/scheduling/locations", new { name = "Clinic " + tag, timeZone = zone, slotMinutes = 15 });
        var locationId = location.GetProperty("id").GetString()!;
        await PostAsync(api, "/api/scheduling/resources", new { locationId, kind = "room", name = "Exam A" });
        var providerName = "Dr. " + tag;
        var providerId = (await PostAsync(api, "/api/scheduling/providers", new { name = providerName, npi = "1234567893", color = "#336699" })).GetProperty("id").GetString()!;
        var typeId = (await PostAsync(api, "/api/scheduling/appointment-types", new
        {
            name = "Checkup " + tag, durationMinutes = 30, color = "#7b2d8b", requiredResourceKinds = new[] { "room" }, providerIds = new[] { providerId },
        })).GetProperty("id").GetString()!;
        var rules = Enum.GetNames<DayOfWeek>().Select(d => new { weekday = d, start = "07:00", end = "19:00", kind = "open" }).ToArray();
        await PostAsync(api, "/api/scheduling/templates", new
        {
            providerId, locationId, name = "Every day", effectiveFrom = DateTime.UtcNow.AddDays(-2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), rules,
        });
        var family1 = "Bookwell" + tag.ToLowerInvariant();
        var family2 = "Clashby" + tag.ToLowerInvariant();
        var patient1 = await PatientAsync(api, family1);
        var patient2 = await PatientAsync(api, family2);
        await admin.Context.CloseAsync();
        return new PracticeIds(locationId, providerId, providerName, typeId, patient1, family1, patient2, family2);
    }

    private static async Task<string> PatientAsync(IAPIRequestContext api, string family)
    {
        var body = new
        {
            patient = new
            {
                legalName = new { family, given = new[] { "Ana" } }, birthDate = "1979-05-14", gender = "female", birthSex = "F",
                addresses = new[] { new { lines = new[] { "12 Elm Street" }, city = "Springfield", state = "IL", postalCode = "62701" } },
                telecom = new[] { new { system = "phone", value = "(217) 555-01" + Random.Shared.Next(10, 99), use = "mobile" } },
            },
            coverages = new[]
            {
                new { rank = 1, payerName = "Blue Prairie Health", payerId = "60054", planName = "Prairie PPO", memberId = "BP" + Random.Shared.Next(10_000_000, 99_999_999),
                      subscriberRelationship = "self", effectiveStart = "2024-01-01" },
            },
            allowPossibleDuplicate = true,
        };
        return (await PostAsync(api, "/api/patients", body)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> PostAsync(IAPIRequestContext api, string url, object body)
    {
        var response = await api.PostAsync(url, new() { DataObject = body });
        var text = await response.TextAsync();
        Assert.True(response.Ok, $"POST {url}: {response.Status} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task PickPatientAsync(IPage page, string family, string patientId)
    {
        var box = page.GetByRole(AriaRole.Combobox, new() { Name = "Patient" });
        await box.PressSequentiallyAsync(family[..^2]);
        var option = page.GetByRole(AriaRole.Listbox, new() { Name = "Matching patients" }).GetByRole(AriaRole.Option).Filter(new() { HasText = family });
        await Assertions.Expect(option).ToHaveCountAsync(1);
        await option.ClickAsync();
        await Assertions.Expect(page.Locator("#book-patient-id")).ToHaveValueAsync(patientId);
    }

    private async Task<IPage> SignInFrontDeskAsync()
    {
        var page = await site.NewPageAsync();
        var (email, password) = StaffSteps.Demo(Roles.FrontDesk);
        await StaffSteps.SubmitPasswordAsync(page, email, password);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Jordan Lee" })).ToBeVisibleAsync();
        return page;
    }

    private static string UniqueLetters()
    {
        var hex = Guid.NewGuid().ToString("N")[..8];
        return new string(hex.Select((c, i) => (char)((i == 0 ? 'A' : 'a') + Convert.ToInt32(c.ToString(), 16))).ToArray());
    }

    [GeneratedRegex("booked=([0-9a-f-]{36})")]
    private static partial Regex BookedId();
}
