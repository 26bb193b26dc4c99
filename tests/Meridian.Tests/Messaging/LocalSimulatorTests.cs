using System.Net;
using System.Net.Http.Json;
using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Meridian.Tests.Patients;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Meridian.Tests.Messaging.MessagingTestKit;

namespace Meridian.Tests.Messaging;

/// <summary>
/// A host with no SMTP server configured and the background sender running: e-mail lands in the local mailbox simulator,
/// texts in the SMS simulator, both without anyone calling the sender by hand.
/// </summary>
public abstract class LocalSimulatorTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    [Fact]
    public async Task The_background_sender_delivers_queued_messages_without_being_asked()
    {
        var number = UniqueMobile();
        var to = UniqueEmail();
        var sms = await EnqueueAsync(app, Sms(number, sendAfter: app.Clock.GetUtcNow()));
        var mail = await EnqueueAsync(app, Email(to, subject: "Ihr Termin — Bestätigung", sendAfter: app.Clock.GetUtcNow()));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline &&
               ((await RowAsync(app, sms)).State != MessageState.Delivered || (await RowAsync(app, mail)).State != MessageState.Sent))
            await Task.Delay(100);

        Assert.Equal(MessageState.Delivered, (await RowAsync(app, sms)).State);
        Assert.Equal(MessageState.Sent, (await RowAsync(app, mail)).State);
        Assert.Single(await TextsToAsync(app, number));
        var stored = await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().SimulatedEmails.AsNoTracking().SingleAsync(e => e.Recipient == to));
        Assert.Equal($"<{mail.Value:D}@meridian>", stored.InternetMessageId);
        var parsed = ParsedMail.Parse(stored.Mime);
        Assert.Equal("Ihr Termin — Bestätigung", parsed.DecodedHeader("Subject"));
        Assert.Equal("no-reply@meridian.invalid", parsed.DecodedHeader("From").Split('<', '>')[1]);
    }

    [Fact]
    public async Task Administrators_see_the_rendered_mail_on_the_outgoing_mail_page()
    {
        var to = UniqueEmail("mailbox");
        var id = await EnqueueAsync(app, Email(to, subject: "Your lab results are ready", sendAfter: app.Clock.GetUtcNow()));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && (await RowAsync(app, id)).State != MessageState.Sent) await Task.Delay(100);

        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var html = WebUtility.HtmlDecode(await session.GetPageAsync($"/messaging/local-mailbox?to={Uri.EscapeDataString(to)}"));

        Assert.Contains("Outgoing mail (local simulator)", html);
        Assert.Contains("not sent to anyone", html);
        Assert.Contains($"Message-ID: <{id.Value:D}@meridian>", html);
        Assert.Contains("Subject: Your lab results are ready", html);

        var api = await session.GetAsync($"/api/messaging/local-mailbox?to={Uri.EscapeDataString(to)}");
        var list = await api.ExpectAsync(HttpStatusCode.OK);
        Assert.Single(list.EnumerateArray());
    }

    [Fact]
    public async Task Listing_the_local_mailbox_is_audited_for_the_patient_the_mail_was_about_and_a_bad_filter_is_a_400()
    {
        var to = UniqueEmail("audited");
        PatientId patient;
        using (var frontDesk = await FreshClientAsync(app, Roles.FrontDesk))
        {
            var body = PatientTestData.Patient(PatientTestData.UniqueFamily("Mailed"), "Ada", PatientTestData.UniqueBirthDate(), email: to);
            body["contactPreferences"] = new { preferredChannel = "email", allowSms = false, allowEmail = true };
            var created = await (await frontDesk.PostAsJsonAsync("/api/patients", PatientTestData.Register(body, allowDuplicate: true))).ExpectAsync(HttpStatusCode.Created);
            patient = new PatientId(created.GetProperty("id").GetGuid());
        }
        var id = await EnqueueAsync(app, Email(to, patient: patient, sendAfter: app.Clock.GetUtcNow()));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && (await RowAsync(app, id)).State != MessageState.Sent) await Task.Delay(100);

        using var session = new CookieSession(app);
        await session.SignInAsNewAdministratorAsync();
        var list = await (await session.GetAsync($"/api/messaging/local-mailbox?to={Uri.EscapeDataString(to)}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Single(list.EnumerateArray());
        var audits = await app.WithScopeAsync(sp => sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(PatientId: patient.Value.ToString())));
        Assert.Contains(audits.Items, a => a.Action == "Search" && a.ResourceType == "SimulatedEmail" && a.Detail!.Contains(to, StringComparison.Ordinal));

        var bad = await (await session.GetAsync("/api/messaging/local-mailbox?to=nobody&count=500")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("to", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("count", out _));
    }

    [Fact]
    public async Task The_front_desk_cannot_open_the_local_mailbox()
    {
        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        Assert.Equal(HttpStatusCode.Forbidden, (await frontDesk.GetAsync("/api/messaging/local-mailbox")).StatusCode);
    }
}

public sealed class LocalSimulatorTests_Sqlite(MessagingSimulatorSqliteApp app) : LocalSimulatorTests<MessagingSimulatorSqliteApp>(app);
public sealed class LocalSimulatorTests_PostgreSql(MessagingSimulatorPostgreSqlApp app) : LocalSimulatorTests<MessagingSimulatorPostgreSqlApp>(app);
