using System.Net;
using System.Net.Http.Json;
using System.Text;
using Meridian.Audit.Contracts;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Meridian.Tests.Patients;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Meridian.Tests.Messaging.MessagingTestKit;

namespace Meridian.Tests.Messaging;

/// <summary>The outbox, the sender, SMTP, the SMS simulator and replies, through the real host and database.</summary>
public abstract class MessagingTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp, IMessagingApp
{
    private LocalSmtpServer Smtp => app.Smtp;

    // ---- E-mail over SMTP -------------------------------------------------------------------------------------------

    [Fact]
    public async Task An_email_reminder_arrives_over_smtp_with_correct_headers_and_a_non_ascii_subject()
    {
        var now = MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        const string subject = "Erinnerung: Termin am Dienstag bei Dr. Müller — bitte bestätigen ✓";
        const string body = "Guten Tag Frau Özdemir,\n\nIhr Termin ist am Dienstag um 9:00 Uhr.\nGrüße aus der Praxis.";
        var id = await EnqueueAsync(app, Email(to, subject, body));

        await SendAsync(app);

        var row = await RowAsync(app, id);
        Assert.Equal(MessageState.Sent, row.State);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.NextAttemptAt);
        Assert.Equal($"<{id.Value:D}@meridian>", row.ProviderMessageId);
        var mail = Assert.Single(Smtp.To(to));
        Assert.Equal(MessagingHost.From, mail.MailFrom);
        Assert.True(mail.Tls, "The conversation was upgraded with STARTTLS.");
        Assert.Equal(MessagingHost.SmtpUser, mail.AuthenticatedUser);

        var parsed = mail.Parse();
        Assert.Equal(subject, parsed.DecodedHeader("Subject"));
        Assert.StartsWith("=?utf-8?B?", parsed.Header("Subject"));
        Assert.Equal($"{MessagingHost.FromName} <{MessagingHost.From}>", parsed.DecodedHeader("From"));
        Assert.Equal(to, parsed.Header("To"));
        Assert.Equal($"<{id.Value:D}@meridian>", parsed.Header("Message-ID"));
        Assert.Equal("1.0", parsed.Header("MIME-Version"));
        Assert.Equal("text/plain; charset=utf-8", parsed.Header("Content-Type"));
        Assert.Equal("quoted-printable", parsed.Header("Content-Transfer-Encoding"));
        Assert.Equal(now.ToUniversalTime(), DateTimeOffset.Parse(parsed.Header("Date"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(body.Replace("\n", "\r\n") + "\r\n", parsed.Body);
        // RFC 5322 §2.1.1 and §2.3: lines of at most 78 characters (headers) / 76 (quoted-printable), CRLF only, 7-bit.
        Assert.All(mail.Data.Split("\r\n"), line => Assert.True(line.Length <= 78, $"Line too long: {line}"));
        Assert.DoesNotContain(mail.WireData.Select((b, i) => (b, i)), x => x.b == '\n' && (x.i == 0 || mail.WireData[x.i - 1] != '\r'));
        Assert.All(mail.WireData, b => Assert.True(b < 128, "The message is 7-bit clean."));
    }

    [Fact]
    public async Task Lines_starting_with_a_dot_are_dot_stuffed_on_the_wire_and_arrive_intact()
    {
        MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        const string body = "Line one\n.\n.hidden line\n..two dots\nlast line";
        await EnqueueAsync(app, Email(to, body: body));

        await SendAsync(app);

        var mail = Assert.Single(Smtp.To(to));
        var wire = Encoding.ASCII.GetString(mail.WireData);
        // RFC 5321 §4.5.2: a lone "." would end the data; every line starting with "." gets one more.
        Assert.Contains("\r\n..\r\n", wire);
        Assert.Contains("\r\n..hidden line\r\n", wire);
        Assert.Contains("\r\n...two dots\r\n", wire);
        Assert.EndsWith("\r\n.\r\n", wire);
        Assert.Equal(body.Replace("\n", "\r\n") + "\r\n", mail.Parse().Body);
    }

    [Fact]
    public async Task A_temporary_smtp_failure_is_retried_with_backoff_then_sent_once()
    {
        var start = MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        Smtp.FailRecipient(to, "451 4.3.0 Mailbox temporarily unavailable", times: 2);
        var id = await EnqueueAsync(app, Email(to));

        await SendAsync(app);
        var first = await RowAsync(app, id);
        Assert.Equal(MessageState.Deferred, first.State);
        Assert.Equal(1, first.Attempts);
        Assert.Contains("451", first.LastError);
        // Base delay one minute, up to 25 % jitter.
        Assert.InRange(first.NextAttemptAt!.Value, start.UtcDateTime.AddMinutes(1), start.UtcDateTime.AddMinutes(1.25));

        app.Clock.Set(first.NextAttemptAt.Value);
        await SendAsync(app);
        var second = await RowAsync(app, id);
        Assert.Equal(MessageState.Deferred, second.State);
        Assert.Equal(2, second.Attempts);
        // Exponential: the second wait is twice the first.
        Assert.InRange(second.NextAttemptAt!.Value - first.NextAttemptAt.Value, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2.5));

        app.Clock.Set(second.NextAttemptAt.Value);
        await SendAsync(app);
        var sent = await RowAsync(app, id);
        Assert.Equal(MessageState.Sent, sent.State);
        Assert.Equal(3, sent.Attempts);
        Assert.Null(sent.LastError);
        Assert.Single(Smtp.To(to));
        var history = await HistoryAsync(app, id);
        Assert.Equal(2, history.Count(e => e.State == MessageState.Deferred && e.Detail!.Contains("451")));
    }

    [Fact]
    public async Task A_permanent_smtp_rejection_fails_the_message_at_once()
    {
        MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        Smtp.FailRecipient(to, "550 5.1.1 No such mailbox");
        var id = await EnqueueAsync(app, Email(to));

        await SendAsync(app);
        app.Clock.Advance(TimeSpan.FromHours(1));
        await SendAsync(app);

        var row = await RowAsync(app, id);
        Assert.Equal(MessageState.Failed, row.State);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.NextAttemptAt);
        Assert.Contains("RCPT TO: 550 5.1.1 No such mailbox", row.LastError);
        Assert.Empty(Smtp.To(to));
    }

    [Fact]
    public async Task While_the_smtp_server_is_down_the_message_is_retried_and_never_marked_sent()
    {
        MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        var id = await EnqueueAsync(app, Email(to));
        Smtp.Pause();
        try
        {
            await SendAsync(app);
            var first = await RowAsync(app, id);
            Assert.Equal(MessageState.Deferred, first.State);
            Assert.Null(first.SentAt);
            Assert.Contains("connect", first.LastError);

            app.Clock.Set(first.NextAttemptAt!.Value);
            await SendAsync(app);
            var second = await RowAsync(app, id);
            Assert.Equal(MessageState.Deferred, second.State);
            Assert.Equal(2, second.Attempts);
            Assert.Null(second.SentAt);
        }
        finally
        {
            Smtp.Resume();
        }
        app.Clock.Set((await RowAsync(app, id)).NextAttemptAt!.Value);
        await SendAsync(app);
        Assert.Equal(MessageState.Sent, (await RowAsync(app, id)).State);
        Assert.Single(Smtp.To(to));
    }

    [Fact]
    public async Task A_message_that_keeps_failing_temporarily_fails_after_the_last_attempt()
    {
        MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        Smtp.FailData(to, "421 4.7.0 Try again later");
        var id = await EnqueueAsync(app, Email(to));

        for (var i = 0; i < 4; i++)
        {
            await SendAsync(app);
            if ((await RowAsync(app, id)).NextAttemptAt is { } next) app.Clock.Set(next);
        }

        var row = await RowAsync(app, id);
        Assert.Equal(MessageState.Failed, row.State);
        Assert.Equal(4, row.Attempts); // MaxAttempts in this host
        Assert.StartsWith("Gave up after 4 attempts", row.LastError);
        Assert.Empty(Smtp.To(to));
    }

    // ---- Quiet hours --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_message_due_in_quiet_hours_waits_until_8_local_time_across_daylight_saving_changes()
    {
        // The evening before the next spring-forward change in New York: 22:00 EST; 08:00 next morning is EDT.
        var spring = NextChange(app.Clock.GetUtcNow(), forward: true);
        var evening = AtLocal(spring.AddDays(-1), 22);
        app.Clock.Set(evening);
        var number = UniqueMobile();
        var id = await EnqueueAsync(app, Sms(number, sendAfter: evening));

        await SendAsync(app);

        var deferred = await RowAsync(app, id);
        Assert.Equal(MessageState.Deferred, deferred.State);
        Assert.Equal(0, deferred.Attempts);
        var morning = AtLocal(spring, 8);
        Assert.Equal(morning.UtcDateTime, deferred.NextAttemptAt);
        Assert.Equal(TimeSpan.FromHours(9), morning - evening); // ten hours on the wall clock, nine in fact
        Assert.Contains("Quiet hours", (await HistoryAsync(app, id)).Last().Detail);

        app.Clock.Set(morning.AddSeconds(-1));
        await SendAsync(app);
        Assert.Equal(MessageState.Deferred, (await RowAsync(app, id)).State);
        Assert.Empty(await TextsToAsync(app, number));

        app.Clock.Set(morning);
        await SendAsync(app);
        Assert.Equal(MessageState.Delivered, (await RowAsync(app, id)).State);
        Assert.Single(await TextsToAsync(app, number));

        // And in autumn: 22:00 EDT to 08:00 EST is eleven hours.
        var autumn = NextChange(app.Clock.GetUtcNow(), forward: false);
        var autumnEvening = AtLocal(autumn.AddDays(-1), 22);
        app.Clock.Set(autumnEvening);
        var late = await EnqueueAsync(app, Sms(number, sendAfter: autumnEvening));
        await SendAsync(app);
        var autumnMorning = AtLocal(autumn, 8);
        Assert.Equal(autumnMorning.UtcDateTime, (await RowAsync(app, late)).NextAttemptAt);
        Assert.Equal(TimeSpan.FromHours(11), autumnMorning - autumnEvening);
    }

    [Fact]
    public async Task A_message_just_after_midnight_waits_until_8_the_same_morning_and_one_at_8_goes_at_once()
    {
        var night = MoveToLocal(app, NewYork, 0, 30);
        var number = UniqueMobile();
        var id = await EnqueueAsync(app, Sms(number, sendAfter: night));
        await SendAsync(app);
        Assert.Equal(night.AddHours(7.5).UtcDateTime, (await RowAsync(app, id)).NextAttemptAt);

        app.Clock.Set(night.AddHours(7.5));
        await SendAsync(app);
        Assert.Equal(MessageState.Delivered, (await RowAsync(app, id)).State);
    }

    private static DateOnly NextChange(DateTimeOffset after, bool forward)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(after, NewYork).DateTime).AddDays(2);
        for (var i = 0; i < 400; i++, day = day.AddDays(1))
        {
            var before = NewYork.GetUtcOffset(day.AddDays(-1).ToDateTime(new TimeOnly(12, 0)));
            var on = NewYork.GetUtcOffset(day.ToDateTime(new TimeOnly(12, 0)));
            if (forward ? on > before : on < before) return day;
        }
        throw new InvalidOperationException("New York has no daylight-saving change within a year?");
    }

    private static DateTimeOffset AtLocal(DateOnly day, int hour)
    {
        var local = day.ToDateTime(new TimeOnly(hour, 0));
        return new DateTimeOffset(local, NewYork.GetUtcOffset(local));
    }

    // ---- Consent and opt-out ------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_patient_without_sms_consent_is_not_texted_but_still_gets_email()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var email = UniqueEmail();
        var patient = await RegisterPatientAsync(allowSms: false, number, email);

        var sms = await EnqueueAsync(app, Sms(number, patient: patient));
        var mail = await EnqueueAsync(app, Email(email, patient: patient));
        await SendAsync(app);

        var suppressed = await RowAsync(app, sms);
        Assert.Equal(MessageState.Suppressed, suppressed.State);
        Assert.Equal("The patient has not consented to SMS", suppressed.LastError);
        Assert.Equal(0, suppressed.Attempts);
        Assert.Empty(await TextsToAsync(app, number));
        Assert.Equal(MessageState.Sent, (await RowAsync(app, mail)).State);
        Assert.Single(Smtp.To(email));
    }

    [Fact]
    public async Task Stop_opts_the_number_out_with_a_confirmation_and_start_opts_it_back_in()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var first = await EnqueueAsync(app, Sms(number));
        await SendAsync(app);
        Assert.Equal(MessageState.Delivered, (await RowAsync(app, first)).State);

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        // The patient's phone sends the number in national format; it is matched after normalization.
        var national = $"({number[2..5]}) {number[5..8]}-{number[8..]}";
        var stop = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = national, body = "Stop" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("OptOut", stop.GetProperty("outcome").GetString());
        Assert.Equal(first.Value, stop.GetProperty("inReplyTo").GetGuid());

        // The confirmation goes out even though the number is now opted out (CTIA: one confirmation after STOP).
        await SendAsync(app);
        var texts = await TextsToAsync(app, number);
        Assert.Equal(2, texts.Count);
        Assert.Contains("unsubscribed", texts[1].Body);

        var later = await EnqueueAsync(app, Sms(number));
        await SendAsync(app);
        var suppressed = await RowAsync(app, later);
        Assert.Equal(MessageState.Suppressed, suppressed.State);
        Assert.StartsWith("The recipient opted out of SMS", suppressed.LastError);
        Assert.Equal(2, (await TextsToAsync(app, number)).Count);

        var start = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = number, body = "START" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("OptIn", start.GetProperty("outcome").GetString());
        var again = await EnqueueAsync(app, Sms(number));
        await SendAsync(app);
        Assert.Equal(MessageState.Delivered, (await RowAsync(app, again)).State);
        var after = await TextsToAsync(app, number);
        Assert.Equal(4, after.Count);
        Assert.Contains(after, t => t.Body.Contains("subscribed to texts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_is_answered_with_the_practice_name_and_phone()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        await EnqueueAsync(app, Sms(number));
        await SendAsync(app);

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var help = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = number, body = "help" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Help", help.GetProperty("outcome").GetString());
        await SendAsync(app);
        var answer = (await TextsToAsync(app, number)).Last();
        Assert.Contains("Meridian Family Practice", answer.Body);
        Assert.Contains("(555) 010-2000", answer.Body);
        Assert.Contains("STOP", answer.Body);
    }

    // ---- Replies ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_reply_to_a_sent_text_reaches_the_handler_for_its_purpose_and_its_answer_is_texted_back()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        await EnqueueAsync(app, Sms(number, purpose: "other-purpose", body: "Your lab results are ready."));
        await SendAsync(app);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var reminder = await EnqueueAsync(app, Sms(number, reference: "appt-4711"));
        await SendAsync(app);
        var callsBefore = app.Replies.Calls.Count;

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var reply = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = number, body = " c " })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("Handled", reply.GetProperty("outcome").GetString());
        Assert.Equal(reminder.Value, reply.GetProperty("inReplyTo").GetGuid());
        var call = app.Replies.Calls.Skip(callsBefore).Single();
        Assert.Equal(number, call.From);
        Assert.Equal("c", call.Body);
        Assert.Equal("appt-4711", call.InReplyTo!.Reference);
        Assert.Equal(TestReplyHandler.PurposeName, call.InReplyTo.Purpose);

        var answerId = new MessageId(reply.GetProperty("reply").GetGuid());
        var answer = await RowAsync(app, answerId);
        Assert.Equal("messaging.reply", answer.Purpose);
        Assert.Equal("appt-4711", answer.Reference);
        await SendAsync(app);
        Assert.Contains(await TextsToAsync(app, number), t => t.Body == "Thanks, appointment appt-4711 is confirmed.");
    }

    [Fact]
    public async Task A_handler_that_throws_leaves_the_reply_recorded_as_failed_without_an_answer()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var reminder = await EnqueueAsync(app, Sms(number));
        await SendAsync(app);

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var reply = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = number, body = "BOOM" })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("Failed", reply.GetProperty("outcome").GetString());
        Assert.Contains("no longer exists", reply.GetProperty("detail").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, reply.GetProperty("reply").ValueKind);
        var stored = await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Inbound.AsNoTracking().SingleAsync(i => i.MatchedMessageId == reminder.Value));
        Assert.Equal("BOOM", stored.Body);
    }

    [Fact]
    public async Task A_text_from_an_unknown_number_is_recorded_as_unmatched_and_otherwise_ignored()
    {
        MoveToLocal(app, NewYork, 12);
        var stranger = UniqueMobile();
        var callsBefore = app.Replies.Calls.Count;
        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);

        var reply = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = stranger, body = "C" })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("Unmatched", reply.GetProperty("outcome").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, reply.GetProperty("reply").ValueKind);
        Assert.Equal(callsBefore, app.Replies.Calls.Count);
        var stored = await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Inbound.AsNoTracking().SingleAsync(i => i.Sender == stranger));
        Assert.Null(stored.MatchedMessageId);
        var toStranger = await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(Recipient: stranger)));
        Assert.Empty(toStranger);
    }

    [Fact]
    public async Task A_text_older_than_the_match_window_makes_a_reply_unmatched()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        await EnqueueAsync(app, Sms(number));
        await SendAsync(app);
        app.Clock.Advance(TimeSpan.FromDays(31));

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var reply = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = number, body = "C" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Unmatched", reply.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task An_inbound_text_with_a_bad_number_or_no_body_is_refused_and_nothing_is_stored()
    {
        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var before = await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Inbound.CountAsync());

        var problem = await (await frontDesk.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = "not a number", body = "" })).ExpectAsync(HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("from", out _));
        Assert.True(errors.TryGetProperty("body", out _));
        Assert.Equal(before, await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Inbound.CountAsync()));
    }

    // ---- Outbox semantics ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Enqueueing_the_same_correlation_key_twice_stores_one_message()
    {
        var key = "appointment:" + Guid.NewGuid() + ":reminder-24h";
        var to = UniqueEmail();
        var first = await EnqueueAsync(app, Email(to, key: key));
        var second = await EnqueueAsync(app, Email(UniqueEmail(), key: key, body: "A different body"));

        Assert.Equal(first, second);
        var found = await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(CorrelationKeyPrefix: key)));
        var only = Assert.Single(found);
        Assert.Equal(to, only.To);
        Assert.Single(await HistoryAsync(app, first));
        // Keys are compared exactly, case included (SQLite's LIKE alone would ignore case).
        Assert.Empty(await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(CorrelationKeyPrefix: key.ToUpperInvariant()))));
    }

    [Fact]
    public async Task A_message_enqueued_in_a_rolled_back_transaction_does_not_exist_and_in_a_committed_one_it_does()
    {
        var options = app.Services.GetRequiredService<DatabaseOptions>();
        var rolledBack = "rollback:" + Guid.NewGuid();
        var committed = "commit:" + Guid.NewGuid();
        foreach (var (key, commit) in new[] { (rolledBack, false), (committed, true) })
        {
            await using var connection = DbConnections.Create(options);
            await connection.OpenAsync();
            await using var turn = await SqliteWriteGate.TurnAsync(connection);
            await using var tx = await connection.BeginTransactionAsync();
            var id = await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().EnqueueAsync(Email(UniqueEmail(), key: key), tx));
            Assert.NotEqual(Guid.Empty, id.Value);
            if (commit) await tx.CommitAsync();
            else await tx.RollbackAsync();
        }

        var outbox = (Func<string, Task<IReadOnlyList<MessageView>>>)(k =>
            app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(CorrelationKeyPrefix: k))));
        Assert.Empty(await outbox(rolledBack));
        Assert.Single(await outbox(committed));
        var events = await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Events.CountAsync(e =>
            sp.GetRequiredService<MessagingDbContext>().Messages.Where(m => m.CorrelationKey == rolledBack).Select(m => m.Id).Contains(e.MessageId)));
        Assert.Equal(0, events);
    }

    [Fact]
    public async Task Bad_messages_are_refused_with_every_problem_named_and_nothing_is_stored()
    {
        var key = "invalid:" + Guid.NewGuid();
        var bad = new OutboundMessage(MessageChannel.Sms, "12345", "A subject", "", "Appointment Reminder", key, new PatientId(Guid.Empty),
            DateTimeOffset.UtcNow, "Mars/Olympus_Mons", ExpiresAt: DateTimeOffset.UtcNow.AddHours(-1));

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => EnqueueAsync(app, bad));

        foreach (var field in new[] { "to", "subject", "body", "purpose", "patient", "recipientTimeZone", "expiresAt" })
            Assert.True(e.Errors.ContainsKey(field), $"No error for {field}: {string.Join("; ", e.Errors.Select(kv => kv.Key + " " + string.Join(",", kv.Value)))}");
        Assert.Contains("Mars/Olympus_Mons", e.Errors["recipientTimeZone"][0]);
        Assert.Empty(await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().FindAsync(new MessageQuery(CorrelationKeyPrefix: key))));

        var reserved = await Assert.ThrowsAsync<ValidationFailedException>(() => EnqueueAsync(app, Sms(UniqueMobile(), purpose: "messaging.help")));
        Assert.True(reserved.Errors.ContainsKey("purpose"));
        var header = await Assert.ThrowsAsync<ValidationFailedException>(() => EnqueueAsync(app, Email(UniqueEmail(), subject: "Hi\r\nBcc: everyone@example.org")));
        Assert.True(header.Errors.ContainsKey("subject"));
    }

    [Fact]
    public async Task An_expired_message_is_not_sent()
    {
        var now = MoveToLocal(app, NewYork, 12);
        var to = UniqueEmail();
        var id = await EnqueueAsync(app, Email(to, sendAfter: now.AddMinutes(10), expiresAt: now.AddMinutes(20)));
        app.Clock.Advance(TimeSpan.FromMinutes(30));

        await SendAsync(app);

        var row = await RowAsync(app, id);
        Assert.Equal(MessageState.Expired, row.State);
        Assert.Equal(0, row.Attempts);
        Assert.Empty(Smtp.To(to));
    }

    [Fact]
    public async Task Cancelling_by_correlation_key_prefix_stops_messages_not_yet_sent()
    {
        var now = MoveToLocal(app, NewYork, 12);
        var appointment = "appointment:" + Guid.NewGuid() + ":";
        var number = UniqueMobile();
        var reminder72 = await EnqueueAsync(app, Sms(number, key: appointment + "72h", sendAfter: now.AddHours(1)));
        var reminder24 = await EnqueueAsync(app, Sms(number, key: appointment + "24h", sendAfter: now.AddHours(2)));
        var other = await EnqueueAsync(app, Sms(number, key: "appointment:" + Guid.NewGuid() + ":72h", sendAfter: now.AddHours(1)));

        var cancelled = await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().CancelAsync(appointment, null));

        Assert.Equal(2, cancelled);
        app.Clock.Advance(TimeSpan.FromHours(3));
        await SendAsync(app);
        Assert.Equal(MessageState.Cancelled, (await RowAsync(app, reminder72)).State);
        Assert.Equal(MessageState.Cancelled, (await RowAsync(app, reminder24)).State);
        Assert.Equal(MessageState.Delivered, (await RowAsync(app, other)).State);
        Assert.Single(await TextsToAsync(app, number));
        Assert.Equal(0, await app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().CancelAsync(appointment, null)));
    }

    // ---- Restart safety and concurrency -------------------------------------------------------------------------------

    [Fact]
    public async Task A_message_left_sending_by_a_crashed_sender_is_resent_once_with_the_same_idempotency_key()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var email = UniqueEmail();
        var sms = await EnqueueAsync(app, Sms(number));
        var mail = await EnqueueAsync(app, Email(email));
        await SendAsync(app);
        Assert.Single(await TextsToAsync(app, number));
        Assert.Single(Smtp.To(email));

        // The process died after the gateway and the SMTP server took the messages but before it recorded that:
        // the rows are still Sending under a lease that has now expired.
        var now = app.Clock.GetUtcNow().UtcDateTime;
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<MessagingDbContext>();
            return await db.Messages.Where(m => m.Id == sms.Value || m.Id == mail.Value).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.State, MessageState.Sending).SetProperty(m => m.LeaseToken, Guid.NewGuid())
                .SetProperty(m => m.LeaseExpiresAt, now.AddMinutes(2)).SetProperty(m => m.NextAttemptAt, now.AddMinutes(2))
                .SetProperty(m => m.SentAt, (DateTime?)null).SetProperty(m => m.DeliveredAt, (DateTime?)null));
        });

        // While the lease holds, nobody touches them (the other sender may still be working).
        await SendAsync(app);
        Assert.Equal(MessageState.Sending, (await RowAsync(app, sms)).State);

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        await SendAsync(app);
        await SendAsync(app);

        var smsRow = await RowAsync(app, sms);
        Assert.Equal(MessageState.Delivered, smsRow.State);
        Assert.Equal(2, smsRow.Attempts);
        var text = Assert.Single(await TextsToAsync(app, number));
        Assert.Equal(sms.Value.ToString("D"), text.ClientReference);
        Assert.Equal(2, text.Submissions);

        Assert.Equal(MessageState.Sent, (await RowAsync(app, mail)).State);
        var copies = Smtp.To(email);
        Assert.Equal(2, copies.Count); // at least once: the receiving side drops the repeat by its Message-ID
        Assert.All(copies, c => Assert.Equal($"<{mail.Value:D}@meridian>", c.Parse().Header("Message-ID")));
        Assert.Contains(await HistoryAsync(app, mail), e => e.Detail!.Contains("same idempotency key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_sender_passes_send_every_message_exactly_once()
    {
        MoveToLocal(app, NewYork, 12);
        var numbers = Enumerable.Range(0, 30).Select(_ => UniqueMobile()).Distinct().ToList();
        var ids = new List<MessageId>();
        foreach (var n in numbers) ids.Add(await EnqueueAsync(app, Sms(n, body: "Concurrency check " + n)));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SendAsync(app))));

        foreach (var id in ids) Assert.Equal(MessageState.Delivered, (await RowAsync(app, id)).State);
        var texts = await app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().SimulatedTexts.AsNoTracking()
            .Where(t => t.Body.StartsWith("Concurrency check ")).ToListAsync());
        var mine = texts.Where(t => ids.Any(i => i.Value.ToString("D") == t.ClientReference)).ToList();
        Assert.Equal(ids.Count, mine.Count);
        Assert.All(mine, t => Assert.Equal(1, t.Submissions));
        foreach (var id in ids) Assert.Single(await HistoryAsync(app, id), e => e.State == MessageState.Sending);
    }

    [Fact]
    public async Task A_text_to_an_unreachable_number_fails_at_once()
    {
        MoveToLocal(app, NewYork, 12);
        var id = await EnqueueAsync(app, Sms("+15550191234"));
        await SendAsync(app);
        var row = await RowAsync(app, id);
        Assert.Equal(MessageState.Failed, row.State);
        Assert.Contains("unreachable", row.LastError);
    }

    // ---- API and pages ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_front_desk_lists_messages_by_reference_with_history_and_the_read_is_audited_per_patient()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var patient = await RegisterPatientAsync(allowSms: true, number, UniqueEmail());
        var reference = "appt-" + Guid.NewGuid().ToString("N")[..8];
        var id = await EnqueueAsync(app, Sms(number, patient: patient, reference: reference));
        await SendAsync(app);

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var page = await (await frontDesk.GetAsync($"/api/messaging/messages?reference={reference}&state=Delivered")).ExpectAsync(HttpStatusCode.OK);
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(id.Value, item.GetProperty("id").GetGuid());
        Assert.Equal("Delivered", item.GetProperty("state").GetString());
        Assert.Equal(patient.Value, item.GetProperty("patient").GetGuid());

        var details = await (await frontDesk.GetAsync($"/api/messaging/messages/{id}")).ExpectAsync(HttpStatusCode.OK);
        var states = details.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("state").GetString()).ToList();
        Assert.Equal(["Queued", "Sending", "Sent", "Delivered"], states);

        var audits = await app.WithScopeAsync(sp => sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(PatientId: patient.Value.ToString())));
        Assert.Contains(audits.Items, a => a.Action == "Search" && a.ResourceType == "Message" && a.Detail!.Contains(reference, StringComparison.Ordinal));
        Assert.Contains(audits.Items, a => a.Action == "Read" && a.ResourceType == "Message" && a.ResourceId == id.ToString());

        var bad = await (await frontDesk.GetAsync("/api/messaging/messages?state=Lost&createdFrom=yesterday")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("state", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("createdFrom", out _));
        await (await frontDesk.GetAsync($"/api/messaging/messages/{Guid.NewGuid()}")).ExpectAsync(HttpStatusCode.NotFound);

        using var biller = await FreshClientAsync(app, Roles.Biller);
        Assert.Equal(HttpStatusCode.Forbidden, (await biller.GetAsync("/api/messaging/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await biller.PostAsJsonAsync("/api/messaging/sms-simulator/inbound", new { from = number, body = "C" })).StatusCode);
    }

    [Fact]
    public async Task The_simulator_texts_list_is_audited_for_the_patient_texted_and_bad_filters_are_a_400()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var patient = await RegisterPatientAsync(allowSms: true, number, UniqueEmail());
        var id = await EnqueueAsync(app, Sms(number, patient: patient));
        await SendAsync(app);

        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var texts = await (await frontDesk.GetAsync($"/api/messaging/sms-simulator/texts?to={Uri.EscapeDataString(number)}")).ExpectAsync(HttpStatusCode.OK);
        var text = Assert.Single(texts.EnumerateArray());
        Assert.Equal(id.Value.ToString("D"), text.GetProperty("clientReference").GetString());
        var audits = await app.WithScopeAsync(sp => sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(PatientId: patient.Value.ToString())));
        Assert.Contains(audits.Items, a => a.Action == "Search" && a.ResourceType == "SimulatedSms" && a.Detail!.Contains(number, StringComparison.Ordinal));

        var bad = await (await frontDesk.GetAsync("/api/messaging/sms-simulator/texts?to=call%20me&count=0")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("to", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("count", out _));
    }

    [Fact]
    public async Task The_messages_pages_show_state_and_history_and_the_simulator_page_answers_as_the_patient()
    {
        MoveToLocal(app, NewYork, 12);
        var number = UniqueMobile();
        var reference = "appt-" + Guid.NewGuid().ToString("N")[..8];
        var id = await EnqueueAsync(app, Sms(number, reference: reference));
        await SendAsync(app);

        using var session = new CookieSession(app);
        var user = await app.CreateUserAsync(Roles.FrontDesk);
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(user.Email, TestPasswords.Default)).StatusCode);

        var list = WebUtility.HtmlDecode(await session.GetPageAsync($"/messaging?reference={reference}"));
        Assert.Contains($"href=\"/messaging/{id}\"", list);
        Assert.Contains("data-state=\"Delivered\"", list);
        Assert.Contains(number, list);

        var detail = WebUtility.HtmlDecode(await session.GetPageAsync($"/messaging/{id}"));
        Assert.Contains("Delivery history", detail);
        Assert.Contains("Delivery reported by the SMS gateway", detail);

        var simulator = WebUtility.HtmlDecode(await session.GetPageAsync("/messaging/sms-simulator"));
        Assert.Contains(number, simulator);
        var answered = await (await session.SubmitAsync($"/messaging/sms-simulator?from={Uri.EscapeDataString(number)}", "simulated-reply",
            new Dictionary<string, string> { ["Model.From"] = number, ["Model.Body"] = "C" })).HtmlAsync();
        Assert.Contains("id=\"reply-result\"", answered);
        Assert.Contains("Handled", answered);
        await SendAsync(app);
        Assert.Contains(await TextsToAsync(app, number), t => t.Body.Contains(reference, StringComparison.Ordinal));

        var errors = await (await session.SubmitAsync("/messaging/sms-simulator", "simulated-reply",
            new Dictionary<string, string> { ["Model.From"] = "call me", ["Model.Body"] = "C" })).HtmlAsync();
        Assert.Contains("id=\"reply-errors\"", errors);
        Assert.Contains("not a valid phone number", errors);

        // The local mailbox page is for administrators.
        (await session.GetAsync("/messaging/local-mailbox")).AssertRedirect("/access-denied");
    }

    private async Task<PatientId> RegisterPatientAsync(bool allowSms, string mobile, string email)
    {
        using var frontDesk = await FreshClientAsync(app, Roles.FrontDesk);
        var body = PatientTestData.Patient(PatientTestData.UniqueFamily("Texter"), "Ada", PatientTestData.UniqueBirthDate(), phone: mobile, email: email);
        body["contactPreferences"] = new { preferredChannel = "sms", allowSms, allowEmail = true };
        var created = await (await frontDesk.PostAsJsonAsync("/api/patients", PatientTestData.Register(body, allowDuplicate: true))).ExpectAsync(HttpStatusCode.Created);
        return new PatientId(created.GetProperty("id").GetGuid());
    }
}

public sealed class MessagingTests_Sqlite(MessagingSqliteApp app) : MessagingTests<MessagingSqliteApp>(app);
public sealed class MessagingTests_PostgreSql(MessagingPostgreSqlApp app) : MessagingTests<MessagingPostgreSqlApp>(app);
