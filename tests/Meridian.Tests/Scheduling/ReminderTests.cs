using System.Net;
using System.Net.Http.Json;
using Meridian.Messaging.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Features.ChangeAppointment;
using Meridian.Scheduling.Features.GetAppointment;
using Meridian.Scheduling.Features.Reminders;
using Meridian.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Meridian.Tests.Scheduling.SchedulingTestData;

namespace Meridian.Tests.Scheduling;

public abstract class ReminderTests<TApp> : IClassFixture<TApp> where TApp : MeridianApp
{
    private readonly TApp _app;

    protected ReminderTests(TApp app)
    {
        _app = app;
        app.Clock.Set(Now);
    }

    private static DateTimeOffset Local(int day, int hour, int minute = 0) => new(2027, 3, day, hour, minute, 0, Central);

    private Task<int> ReminderPassAsync() => _app.Services.GetRequiredService<ReminderScheduler>().RunOnceAsync();

    /// <summary>A 24-hour SMS rule for this practice's type (other tests' rules are for their own types).</summary>
    private static async Task<string> RuleAsync(HttpClient admin, Practice p, int hours = 24, string? template = null) =>
        (await (await admin.PostAsJsonAsync("/api/scheduling/reminder-rules", new
        {
            name = $"{hours} hours", hoursBefore = hours, channels = new[] { "sms", "email" }, appointmentTypeIds = new[] { p.TypeId },
            template = template ?? "Hi {{patient.firstName}}, see you {{appointment.date}} at {{appointment.time}} with {{provider.name}} at {{location.name}}.",
        })).ExpectAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;

    /// <summary>Wednesday 10:00 booked on Monday; the clock moved to Tuesday 10:30, when the 24-hour reminder is due.</summary>
    private async Task<(Practice P, string Rule, string AppointmentId, (string Id, string Phone) Patient)> DueReminderAsync()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        var rule = await RuleAsync(admin, p);
        var patient = await MessagingTestHelpers.PatientWithPhoneAsync(desk, "Rita");
        var booked = await BookedAsync(desk, p, patient.Id, Local(10, 10));
        await ReminderPassAsync();
        Assert.Empty(await RemindersAsync(booked.GetProperty("id").GetString()!)); // due only 24 h before
        _app.Clock.Set(Local(9, 10, 30));
        return (p, rule, booked.GetProperty("id").GetString()!, patient);
    }

    private Task<AppointmentDetails> AppointmentAsync(string id) =>
        _app.WithScopeAsync(sp => sp.GetRequiredService<GetAppointmentHandler>().HandleAsync(Guid.Parse(id)));

    private async Task<IReadOnlyList<MessageView>> RemindersAsync(string appointmentId) =>
        await _app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(CorrelationKeyPrefix: $"reminder:{appointmentId}:")));

    [Fact]
    public async Task A_24_hour_rule_enqueues_one_reminder_even_when_the_scheduler_runs_twice()
    {
        var (_, rule, id, _) = await DueReminderAsync();

        await ReminderPassAsync();
        await ReminderPassAsync();

        var message = Assert.Single(await RemindersAsync(id));
        Assert.Equal($"reminder:{id}:{rule}:1", message.CorrelationKey);
        Assert.Equal(MessageChannel.Sms, message.Channel);
        Assert.StartsWith("Hi Rita, see you Wednesday 10 March at 10:00 AM with Dr. ", message.Body);
        Assert.EndsWith("Reply C to confirm, X to cancel.", message.Body);
    }

    [Fact]
    public async Task Rescheduling_cancels_the_pending_reminder_and_a_new_one_follows_for_the_new_time()
    {
        var (_, rule, id, _) = await DueReminderAsync();
        await ReminderPassAsync();

        await _app.WithScopeAsync(sp => sp.GetRequiredService<RescheduleAppointmentHandler>().HandleAsync(Guid.Parse(id), new RescheduleRequest(Local(11, 10))));
        var old = Assert.Single(await RemindersAsync(id));
        Assert.Equal(MessageState.Cancelled, old.State);

        await ReminderPassAsync();
        Assert.Single(await RemindersAsync(id)); // not due yet for Thursday
        _app.Clock.Set(Local(10, 10, 30));
        await ReminderPassAsync();
        var fresh = (await RemindersAsync(id)).Single(m => m.State != MessageState.Cancelled);
        Assert.Equal($"reminder:{id}:{rule}:2", fresh.CorrelationKey);
        Assert.Contains("Thursday 11 March at 10:00 AM", fresh.Body);
    }

    [Fact]
    public async Task Replying_C_confirms_the_appointment()
    {
        var (_, _, id, patient) = await DueReminderAsync();
        await ReminderPassAsync();
        await MessagingTestHelpers.SendAsync(_app);

        var reply = await MessagingTestHelpers.ReplyAsync(_app, patient.Phone, "C");
        Assert.Equal("Handled", reply.Outcome);
        var details = await AppointmentAsync(id);
        Assert.NotNull(details.Appointment.ConfirmedAt);
        Assert.Contains(details.History, h => h.Action == "confirmed" && h.Detail!.Contains("SMS"));
        Assert.Equal("Scheduled", details.Appointment.Status);
    }

    [Fact]
    public async Task Replying_X_cancels_the_appointment_and_the_freed_time_becomes_an_opening()
    {
        var (_, _, id, patient) = await DueReminderAsync();
        await ReminderPassAsync();
        await MessagingTestHelpers.SendAsync(_app);

        await MessagingTestHelpers.ReplyAsync(_app, patient.Phone, "x");

        var details = await AppointmentAsync(id);
        Assert.Equal("Cancelled", details.Appointment.Status);
        Assert.Contains("SMS reply", details.Appointment.CancelReason);
        var opening = await _app.WithScopeAsync(sp => sp.GetRequiredService<SchedulingDbContext>().Openings.AsNoTracking().SingleAsync(o => o.SourceAppointmentId == Guid.Parse(id)));
        Assert.Equal("open", opening.State);
        Assert.Equal(Local(10, 10).UtcDateTime, opening.StartUtc);
    }

    [Fact]
    public async Task The_confirm_link_in_a_reminder_confirms_and_an_unknown_link_is_404()
    {
        var (admin, desk) = await ClientsAsync(_app);
        var p = await PracticeAsync(admin);
        await RuleAsync(admin, p, template: "{{patient.firstName}}: {{appointment.date}} {{appointment.time}}. Confirm or cancel: {{confirmLink}}");
        var patient = await MessagingTestHelpers.PatientWithPhoneAsync(desk, "Lina");
        var id = (await BookedAsync(desk, p, patient.Id, Local(10, 11))).GetProperty("id").GetString()!;
        _app.Clock.Set(Local(9, 11, 30));
        await ReminderPassAsync();
        var token = MessagingTestHelpers.Token(Assert.Single(await RemindersAsync(id)).Body);
        using var anonymous = _app.AnonymousClient();
        var page = await anonymous.GetAsync($"/appointments/confirm/{token}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Lina", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync($"/appointments/confirm/{token}/confirm", null)).StatusCode);
        Assert.NotNull((await AppointmentAsync(id)).Appointment.ConfirmedAt);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/appointments/confirm/not-a-token")).StatusCode);
        // The link belongs to this version of the booking: once moved, it says so instead of confirming the new time.
        await _app.WithScopeAsync(sp => sp.GetRequiredService<RescheduleAppointmentHandler>().HandleAsync(Guid.Parse(id), new RescheduleRequest(Local(11, 11))));
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.PostAsync($"/appointments/confirm/{token}/cancel", null)).StatusCode);
        Assert.Equal("Scheduled", (await AppointmentAsync(id)).Appointment.Status);
    }

    [Fact]
    public async Task A_reply_from_an_unknown_number_changes_nothing()
    {
        var (_, _, id, _) = await DueReminderAsync();
        await ReminderPassAsync();
        await MessagingTestHelpers.SendAsync(_app);

        var reply = await MessagingTestHelpers.ReplyAsync(_app, "+13125550177", "X");
        Assert.Equal("Unmatched", reply.Outcome);
        Assert.Equal("Scheduled", (await AppointmentAsync(id)).Appointment.Status);
    }

    [Fact]
    public async Task A_rule_with_an_unknown_merge_field_is_refused_with_400()
    {
        _app.Clock.Set(Now);
        var admin = await _app.ClientForRoleAsync(Meridian.SharedKernel.Security.Roles.Administrator);
        var response = await admin.PostAsJsonAsync("/api/scheduling/reminder-rules", new
        {
            name = "Bad", hoursBefore = 24, channels = new[] { "sms" }, template = "Hi {{patient.lastName}}, see you {{appointment.date}}",
        });
        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("patient.lastName", body.GetProperty("errors").GetProperty("template")[0].GetString());
        var rules = await (await admin.GetAsync("/api/scheduling/reminder-rules")).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(rules.EnumerateArray(), r => r.GetProperty("name").GetString() == "Bad");
        var desk = await _app.ClientForRoleAsync(Meridian.SharedKernel.Security.Roles.FrontDesk);
        await (await desk.GetAsync("/api/scheduling/reminder-rules")).ExpectAsync(HttpStatusCode.Forbidden);
    }
}

public sealed class ReminderTests_Sqlite(MessagingSqliteApp app) : ReminderTests<MessagingSqliteApp>(app);

public sealed class ReminderTests_PostgreSql(MessagingPostgreSqlApp app) : ReminderTests<MessagingPostgreSqlApp>(app);
