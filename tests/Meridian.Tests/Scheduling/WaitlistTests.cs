using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Features.ReceiveReplies;
using Meridian.Messaging.Features.SendMessages;
using Meridian.Patients.Contracts;
using Meridian.Scheduling;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Features.Waitlist;
using Meridian.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Meridian.Tests.Patients.PatientTestData;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

/// <summary>Background work runs only when a test asks (one pass at a time); SMS goes to the gateway simulator.</summary>
internal static class MessagingTestSettings
{
    public static IDictionary<string, string?> Values => new Dictionary<string, string?>
    {
        ["Meridian:Messaging:Sender:Enabled"] = "false",
        ["Meridian:Messaging:Sms:Gateway"] = "Simulator",
        ["Meridian:Scheduling:Waitlist:Enabled"] = "false",
        ["Meridian:Scheduling:Reminders:Enabled"] = "false",
        ["Meridian:Scheduling:PublicBaseUrl"] = "https://clinic.test",
        ["Meridian:Scheduling:PracticeName"] = "Elm Street Family Practice",
    };
}

public sealed class MessagingSqliteApp : SqliteApp
{
    protected override IDictionary<string, string?> Settings => MessagingTestSettings.Values;
}

public sealed class MessagingPostgreSqlApp : PostgreSqlApp
{
    protected override IDictionary<string, string?> Settings => MessagingTestSettings.Values;
}

internal static partial class MessagingTestHelpers
{
    public static async Task<(string Id, string Phone)> PatientWithPhoneAsync(HttpClient desk, string given = "Ana")
    {
        var phone = UniquePhone();
        var p = await RegisterAsync(desk, Patient(UniqueFamily(), given, UniqueBirthDate(), phone: phone));
        return (p.GetProperty("id").GetString()!, phone);
    }

    public static Task<IReadOnlyList<MessageView>> MessagesAsync(MeridianApp app, string patientId, string purpose) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(Patient: new PatientId(Guid.Parse(patientId)), Purpose: purpose)));

    public static Task<int> SendAsync(MeridianApp app) => app.Services.GetRequiredService<MessageSender>().RunOnceAsync();

    public static Task<InboundMessageView> ReplyAsync(MeridianApp app, string from, string body) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<InboundPipeline>().ReceiveSmsAsync(from, body));

    public static string Token(string body)
    {
        var m = OfferLink().Match(body);
        Assert.True(m.Success, "No link in: " + body);
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"https://clinic\.test/(?:offers|appointments/confirm)/([A-Za-z0-9_-]{22})")]
    private static partial Regex OfferLink();
}

public abstract class WaitlistTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected WaitlistTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    private static DateTimeOffset Local(int day, int hour, int minute = 0) => new(2027, 3, day, hour, minute, 0, Central);

    private Task<int> OfferPassAsync() => _app.Services.GetRequiredService<WaitlistOfferer>().RunOnceAsync();

    private Task<IReadOnlyList<WaitlistOfferView>> OffersAsync() =>
        _app.WithScopeAsync(sp => sp.GetRequiredService<ManageWaitlistHandler>().OffersAsync(null));

    private static async Task<string> WaitAsync(HttpClient desk, string patient, Practice p, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["patientId"] = patient, ["appointmentTypeId"] = p.TypeId, ["channel"] = "sms" };
        if (extra is not null)
            foreach (var prop in JsonSerializer.SerializeToElement(extra).EnumerateObject()) body[prop.Name] = prop.Value;
        var created = await (await desk.PostAsJsonAsync("/api/scheduling/waitlist", body)).ExpectAsync(HttpStatusCode.Created);
        return created.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Tuesday 10:00 is booked and then cancelled. Waiting: a normal-priority morning patient (first on the list), a high-priority
    /// afternoon patient, a high-priority patient who wants another provider, and a high-priority morning patient (the best match).
    /// </summary>
    private async Task<Scenario> CancelledMorningAsync()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var other = (await (await admin.PostAsJsonAsync("/api/scheduling/providers", new { name = "Dr. Other", color = "#123456" })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;
        var morning = new { windowStart = "08:00", windowEnd = "12:00" };
        var normal = await MessagingTestHelpers.PatientWithPhoneAsync(desk, "Norma");
        await WaitAsync(desk, normal.Id, p, new { morning.windowStart, morning.windowEnd, priority = 2 });
        var afternoon = await MessagingTestHelpers.PatientWithPhoneAsync(desk, "Aaron");
        await WaitAsync(desk, afternoon.Id, p, new { windowStart = "13:00", windowEnd = "17:00", priority = 1 });
        var picky = await MessagingTestHelpers.PatientWithPhoneAsync(desk, "Pia");
        await WaitAsync(desk, picky.Id, p, new { morning.windowStart, morning.windowEnd, priority = 1, providerIds = new[] { other } });
        var best = await MessagingTestHelpers.PatientWithPhoneAsync(desk, "Bea");
        await WaitAsync(desk, best.Id, p, new { morning.windowStart, morning.windowEnd, priority = 1, weekdays = new[] { "Tuesday", "Thursday" } });

        var booked = await BookedAsync(desk, p, await PatientAsync(desk), Local(9, 10));
        var id = booked.GetProperty("id").GetString()!;
        await (await desk.PostAsJsonAsync($"/api/scheduling/appointments/{id}/cancel", new { reason = "Patient is travelling" })).ExpectAsync(HttpStatusCode.OK);
        return new Scenario(p, desk, best, normal, afternoon, picky);
    }

    private sealed record Scenario(Practice Practice, HttpClient Desk, (string Id, string Phone) Best, (string Id, string Phone) Normal,
        (string Id, string Phone) Afternoon, (string Id, string Phone) Picky);

    [Fact]
    public async Task A_cancellation_offers_the_time_to_the_best_matching_patient_by_sms_with_a_link()
    {
        var s = await CancelledMorningAsync();

        await OfferPassAsync();
        var offers = (await (await s.Desk.GetAsync("/api/scheduling/waitlist/offers")).ExpectAsync(HttpStatusCode.OK)).EnumerateArray()
            .Where(o => o.GetProperty("providerName").GetString() is not null && o.GetProperty("patientId").GetString() is { } pid
                        && new[] { s.Best.Id, s.Normal.Id, s.Afternoon.Id, s.Picky.Id }.Contains(pid)).ToList();
        var offer = Assert.Single(offers);
        Assert.Equal(s.Best.Id, offer.GetProperty("patientId").GetString());
        Assert.Equal("pending", offer.GetProperty("state").GetString());
        Assert.Equal(Local(9, 10), offer.GetProperty("start").GetDateTimeOffset());
        // min(2 h from now, 1 h before the start)
        Assert.Equal(Now.AddHours(2), offer.GetProperty("expiresAt").GetDateTimeOffset());

        var message = Assert.Single(await MessagingTestHelpers.MessagesAsync(_app, s.Best.Id, "waitlist-offer"));
        Assert.Equal(MessageChannel.Sms, message.Channel);
        Assert.Contains("Elm Street Family Practice", message.Body);
        Assert.Contains("Tuesday 9 March at 10:00 AM", message.Body);
        Assert.Contains("Reply YES", message.Body);
        MessagingTestHelpers.Token(message.Body);
        Assert.Empty(await MessagingTestHelpers.MessagesAsync(_app, s.Normal.Id, "waitlist-offer"));

        // A second pass makes no second offer while the first is out.
        await OfferPassAsync();
        Assert.Single(await MessagingTestHelpers.MessagesAsync(_app, s.Best.Id, "waitlist-offer"));
        Assert.Empty(await MessagingTestHelpers.MessagesAsync(_app, s.Normal.Id, "waitlist-offer"));
        var list = await (await s.Desk.GetAsync($"/api/scheduling/waitlist?state=offered&appointmentTypeId={s.Practice.TypeId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(s.Best.Id, Assert.Single(list.EnumerateArray()).GetProperty("patientId").GetString());
    }

    [Fact]
    public async Task The_first_acceptance_by_link_books_the_time_and_a_later_one_is_told_it_is_gone()
    {
        var options = _app.Services.GetRequiredService<IOptions<SchedulingMessagesOptions>>().Value.Waitlist;
        options.OffersPerOpening = 2;
        try
        {
            var s = await CancelledMorningAsync();
            await OfferPassAsync();
            var best = MessagingTestHelpers.Token(Assert.Single(await MessagingTestHelpers.MessagesAsync(_app, s.Best.Id, "waitlist-offer")).Body);
            var normal = MessagingTestHelpers.Token(Assert.Single(await MessagingTestHelpers.MessagesAsync(_app, s.Normal.Id, "waitlist-offer")).Body);
            using var anonymous = _app.AnonymousClient();

            var page = await anonymous.GetAsync($"/offers/{normal}");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("Norma", html);
            Assert.Contains("Tuesday 9 March at 10:00 AM", html);

            var accepted = await anonymous.PostAsync($"/offers/{normal}/accept", null);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Contains("booked", await accepted.Content.ReadAsStringAsync());

            var late = await anonymous.PostAsync($"/offers/{best}/accept", null);
            Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
            Assert.Contains("taken", await late.Content.ReadAsStringAsync());

            var offers = (await OffersAsync()).Where(o => o.PatientId.ToString() == s.Normal.Id || o.PatientId.ToString() == s.Best.Id).ToList();
            var won = offers.Single(o => o.PatientId.ToString() == s.Normal.Id);
            Assert.Equal("accepted", won.State);
            Assert.Equal("lost", offers.Single(o => o.PatientId.ToString() == s.Best.Id).State);
            var appointment = await (await s.Desk.GetAsync($"/api/scheduling/appointments/{won.AppointmentId}")).ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(s.Normal.Id, appointment.GetProperty("appointment").GetProperty("patientId").GetString());
            Assert.Equal(Local(9, 10), appointment.GetProperty("appointment").GetProperty("start").GetDateTimeOffset());
            var booked = await (await s.Desk.GetAsync("/api/scheduling/waitlist?state=booked")).ExpectAsync(HttpStatusCode.OK);
            Assert.Contains(booked.EnumerateArray(), e => e.GetProperty("patientId").GetString() == s.Normal.Id);
            // Accepting again is harmless and says so.
            Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync($"/offers/{normal}/accept", null)).StatusCode);
            var audit = await AuditForPatientAsync(_app, s.Normal.Id);
            Assert.Contains(audit, a => a.ResourceType == "Appointment" && a.Action == "Create");
            Assert.Contains(audit, a => a.ResourceType == "WaitlistOffer" && a.Detail?.Contains("accepted") == true);
        }
        finally { options.OffersPerOpening = 1; }
    }

    [Fact]
    public async Task An_unanswered_offer_expires_and_passes_to_the_next_patient()
    {
        var s = await CancelledMorningAsync();
        await OfferPassAsync();
        var first = MessagingTestHelpers.Token(Assert.Single(await MessagingTestHelpers.MessagesAsync(_app, s.Best.Id, "waitlist-offer")).Body);

        _app.Clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        await OfferPassAsync();

        var offers = (await OffersAsync()).Where(o => o.PatientId.ToString() == s.Normal.Id || o.PatientId.ToString() == s.Best.Id).ToList();
        Assert.Equal("expired", offers.Single(o => o.PatientId.ToString() == s.Best.Id).State);
        Assert.Equal("pending", offers.Single(o => o.PatientId.ToString() == s.Normal.Id).State);
        // A fresh two hours for the next patient (the start, Tuesday 10:00, is further away than that).
        Assert.Equal(Now.AddHours(4).AddMinutes(1), offers.Single(o => o.PatientId.ToString() == s.Normal.Id).ExpiresAt);
        using var anonymous = _app.AnonymousClient();
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.GetAsync($"/offers/{first}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/offers/AAAAAAAAAAAAAAAAAAAAAA")).StatusCode);
        var entries = await _app.WithScopeAsync(sp => sp.GetRequiredService<ManageWaitlistHandler>().ListAsync("waiting", null, null));
        Assert.Contains(entries, e => e.PatientId.ToString() == s.Best.Id);
    }

    [Fact]
    public async Task Replying_YES_to_the_offer_text_books_the_time()
    {
        var s = await CancelledMorningAsync();
        await OfferPassAsync();
        await MessagingTestHelpers.SendAsync(_app);

        var reply = await MessagingTestHelpers.ReplyAsync(_app, s.Best.Phone, "yes");
        Assert.Equal("Handled", reply.Outcome);

        var offer = (await OffersAsync()).Single(o => o.PatientId.ToString() == s.Best.Id);
        Assert.Equal("accepted", offer.State);
        var appointment = await (await s.Desk.GetAsync($"/api/scheduling/appointments/{offer.AppointmentId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Scheduled", appointment.GetProperty("appointment").GetProperty("status").GetString());
        var answer = await MessagingTestHelpers.MessagesAsync(_app, s.Best.Id, "messaging.reply");
        Assert.Contains(answer, m => m.Body.Contains("You are booked"));
    }

    [Fact]
    public async Task When_the_front_desk_books_the_freed_time_first_the_acceptance_fails_gracefully()
    {
        var s = await CancelledMorningAsync();
        await OfferPassAsync();
        var token = MessagingTestHelpers.Token(Assert.Single(await MessagingTestHelpers.MessagesAsync(_app, s.Best.Id, "waitlist-offer")).Body);
        await BookedAsync(s.Desk, s.Practice, await PatientAsync(s.Desk), Local(9, 10));

        using var anonymous = _app.AnonymousClient();
        var late = await anonymous.PostAsync($"/offers/{token}/accept", null);
        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        Assert.Contains("has been taken", await late.Content.ReadAsStringAsync());
        Assert.Equal("lost", (await OffersAsync()).Single(o => o.PatientId.ToString() == s.Best.Id).State);
        // Nothing more is offered for time that is gone.
        await OfferPassAsync();
        Assert.Empty(await MessagingTestHelpers.MessagesAsync(_app, s.Normal.Id, "waitlist-offer"));
        var waiting = await (await s.Desk.GetAsync("/api/scheduling/waitlist?state=waiting")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(waiting.EnumerateArray(), e => e.GetProperty("patientId").GetString() == s.Best.Id);
    }

    [Fact]
    public async Task The_front_desk_adds_a_patient_on_the_waitlist_page_and_sees_the_entry_and_its_offers()
    {
        var s = await CancelledMorningAsync();
        await OfferPassAsync();
        var page = await PageClient.SignedInAsync(_app, Meridian.SharedKernel.Security.Roles.FrontDesk);
        var newcomer = await PatientAsync(s.Desk);

        using var missing = await page.PostFormAsync("/schedule/waitlist", "add-waitlist", [new("Add.AppointmentTypeId", s.Practice.TypeId), new("Add.Priority", "1")]);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("Choose the patient from the suggestions", await missing.Content.ReadAsStringAsync());

        using var added = await page.PostFormAsync("/schedule/waitlist", "add-waitlist",
        [
            new("Add.PatientId", newcomer), new("Add.AppointmentTypeId", s.Practice.TypeId), new("Add.Weekdays", "Friday"),
            new("Add.WindowStart", "08:00"), new("Add.WindowEnd", "12:00"), new("Add.Priority", "3"), new("Add.Channel", "email"),
        ]);
        var html = await added.Content.ReadAsStringAsync();
        Assert.True(added.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("is on the waitlist", html);
        Assert.Contains("Fri", html);
        Assert.Contains("data-typeahead-pick=\"patient-id\"", html);
        // The offer made to the best match shows with its state.
        Assert.Contains("pending", await page.GetPageAsync("/schedule/waitlist"));
        var entries = await (await s.Desk.GetAsync($"/api/scheduling/waitlist?appointmentTypeId={s.Practice.TypeId}&state=waiting")).ExpectAsync(HttpStatusCode.OK);
        var entry = Assert.Single(entries.EnumerateArray(), e => e.GetProperty("patientId").GetString() == newcomer);
        Assert.Equal(3, entry.GetProperty("priority").GetInt32());
        Assert.Equal("email", entry.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task A_reader_without_schedule_write_posting_the_waitlist_form_gets_403_and_nothing_is_stored()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        var page = await PageClient.SignedInAsync(_app, Meridian.SharedKernel.Security.Roles.Biller);
        using var refused = await page.PostFormAsync("/schedule/waitlist", "add-waitlist",
            [new("Add.PatientId", patient), new("Add.AppointmentTypeId", p.TypeId), new("Add.Priority", "2")]);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("schedule.write", await refused.Content.ReadAsStringAsync());
        var entries = await (await desk.GetAsync($"/api/scheduling/waitlist?appointmentTypeId={p.TypeId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(entries.EnumerateArray(), e => e.GetProperty("patientId").GetString() == patient);
    }

    [Fact]
    public async Task Bad_waitlist_entries_get_400_and_nothing_is_stored()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var patient = await PatientAsync(desk);
        var bad = await desk.PostAsJsonAsync("/api/scheduling/waitlist", new
        {
            patientId = patient, appointmentTypeId = p.TypeId, windowStart = "12:00", windowEnd = "08:00", priority = 7, channel = "fax",
        });
        var body = await bad.ExpectAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors");
        Assert.True(errors.TryGetProperty("windowEnd", out _) && errors.TryGetProperty("priority", out _) && errors.TryGetProperty("channel", out _), body.ToString());
        var list = await (await desk.GetAsync($"/api/scheduling/waitlist?appointmentTypeId={p.TypeId}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetArrayLength());
        var id = await WaitAsync(desk, patient, p);
        await (await desk.DeleteAsync($"/api/scheduling/waitlist/{id}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, (await (await desk.GetAsync($"/api/scheduling/waitlist?appointmentTypeId={p.TypeId}")).ExpectAsync(HttpStatusCode.OK)).GetArrayLength());
    }
}

public sealed class WaitlistTests_Sqlite(MessagingSqliteApp app) : WaitlistTests<MessagingSqliteApp>(app);

public sealed class WaitlistTests_PostgreSql(MessagingPostgreSqlApp app) : WaitlistTests<MessagingPostgreSqlApp>(app);
