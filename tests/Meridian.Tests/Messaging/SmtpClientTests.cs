using System.Diagnostics;
using System.Text;
using Meridian.Messaging;
using Meridian.Messaging.Features.SendEmail;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Tests.Messaging;

/// <summary>
/// The SMTP client and MIME renderer on their own, against the local test server (no database: these are protocol tests).
/// The end-to-end mail tests (through the outbox and the sender, on both databases) are in MessagingTests.
/// </summary>
public sealed class SmtpClientTests
{
    private static readonly byte[] Message = MimeMessage.Render(new OutgoingEmail("<test@meridian>", "from@practice.example", null,
        "to@example.org", "Hello", "Body line\n.dot line", DateTimeOffset.UnixEpoch));

    private static SmtpMailer Client(LocalSmtpServer server, Action<MessagingOptions.SmtpOptions>? configure = null)
    {
        var options = new MessagingOptions.SmtpOptions
        {
            Host = "127.0.0.1", Port = server.Port, StartTls = server.Certificate is not null,
            ServerCertificateThumbprint = server.Certificate is null ? null : server.CertificateThumbprint,
            Timeout = TimeSpan.FromSeconds(5), HeloName = "meridian.test",
        };
        configure?.Invoke(options);
        return new SmtpMailer(options, NullLogger.Instance);
    }

    [Fact]
    public async Task Auth_login_is_used_when_the_server_offers_only_login_and_the_password_goes_over_tls()
    {
        using var server = new LocalSmtpServer(tls: true) { UserName = "u", Password = "p w", AuthMechanisms = ["LOGIN"] };
        var reply = await Client(server, o => { o.UserName = "u"; o.Password = "p w"; }).SendAsync("from@practice.example", "to@example.org", Message, default);

        Assert.Equal(250, reply.Code);
        var mail = Assert.Single(server.Received);
        Assert.True(mail.Tls);
        Assert.Equal("u", mail.AuthenticatedUser);
        Assert.Equal("meridian.test", mail.Helo);
        Assert.Contains("AUTH LOGIN", server.Commands);
        Assert.DoesNotContain(server.Commands, c => c.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("p w")), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_password_is_a_temporary_failure_and_nothing_is_sent()
    {
        using var server = new LocalSmtpServer(tls: true) { UserName = "u", Password = "right" };
        var e = await Assert.ThrowsAsync<SmtpException>(() =>
            Client(server, o => { o.UserName = "u"; o.Password = "wrong"; }).SendAsync("from@practice.example", "to@example.org", Message, default));

        Assert.Equal(SmtpStage.Auth, e.Stage);
        Assert.Equal(535, e.Code);
        Assert.True(e.Transient);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task When_starttls_is_required_but_not_offered_nothing_is_sent_in_clear_text()
    {
        using var server = new LocalSmtpServer(tls: false);
        var e = await Assert.ThrowsAsync<SmtpException>(() =>
            Client(server, o => o.StartTls = true).SendAsync("from@practice.example", "to@example.org", Message, default));

        Assert.Equal(SmtpStage.StartTls, e.Stage);
        Assert.Contains("does not offer STARTTLS", e.Message);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_password_is_not_sent_without_tls_unless_allowed()
    {
        using var server = new LocalSmtpServer(tls: false) { UserName = "u", Password = "p" };
        var refused = await Assert.ThrowsAsync<SmtpException>(() =>
            Client(server, o => { o.UserName = "u"; o.Password = "p"; }).SendAsync("from@practice.example", "to@example.org", Message, default));
        Assert.Equal(SmtpStage.Auth, refused.Stage);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("AUTH", StringComparison.Ordinal));

        await Client(server, o => { o.UserName = "u"; o.Password = "p"; o.AllowAuthWithoutTls = true; }).SendAsync("from@practice.example", "to@example.org", Message, default);
        Assert.Equal("u", Assert.Single(server.Received).AuthenticatedUser);
    }

    [Fact]
    public async Task A_server_that_only_knows_helo_still_gets_the_message_and_multi_line_replies_are_read()
    {
        using var server = new LocalSmtpServer(tls: false) { RejectEhlo = true, MultiLineGreeting = true };
        var reply = await Client(server).SendAsync("from@practice.example", "to@example.org", Message, default);

        Assert.Equal(250, reply.Code);
        Assert.Contains(server.Commands, c => c.StartsWith("HELO meridian.test", StringComparison.Ordinal));
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_4xx_is_transient_and_a_5xx_to_the_recipient_or_the_message_is_permanent()
    {
        using var server = new LocalSmtpServer(tls: false);
        server.FailRecipient("busy@example.org", "452 4.2.2 Mailbox full");
        server.FailRecipient("gone@example.org", "550 5.1.1 No such user");
        server.FailData("spam@example.org", "554 5.7.1 Message rejected");
        var client = Client(server);

        var busy = await Assert.ThrowsAsync<SmtpException>(() => client.SendAsync("from@practice.example", "busy@example.org", Message, default));
        var gone = await Assert.ThrowsAsync<SmtpException>(() => client.SendAsync("from@practice.example", "gone@example.org", Message, default));
        var spam = await Assert.ThrowsAsync<SmtpException>(() => client.SendAsync("from@practice.example", "spam@example.org", Message, default));

        Assert.True(busy.Transient);
        Assert.Equal((SmtpStage.RcptTo, 452), (busy.Stage, busy.Code!.Value));
        Assert.False(gone.Transient);
        Assert.Equal((SmtpStage.RcptTo, 550), (gone.Stage, gone.Code!.Value));
        Assert.False(spam.Transient);
        Assert.Equal((SmtpStage.Message, 554), (spam.Stage, spam.Code!.Value));
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        using var server = new LocalSmtpServer(tls: false) { Silent = true };
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() =>
            Client(server, o => o.Timeout = TimeSpan.FromMilliseconds(500)).SendAsync("from@practice.example", "to@example.org", Message, default));
        // Generous upper bound: the point is that it gives up instead of hanging; a loaded CI machine schedules late.
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_connection_refused_is_a_transient_connect_failure()
    {
        using var server = new LocalSmtpServer(tls: false);
        server.Pause();
        var e = await Assert.ThrowsAsync<SmtpException>(() => Client(server).SendAsync("from@practice.example", "to@example.org", Message, default));
        Assert.Equal(SmtpStage.Connect, e.Stage);
        Assert.True(e.Transient);
    }

    [Fact]
    public void Dot_stuffing_doubles_leading_dots_and_terminates_the_data()
    {
        var payload = Encoding.ASCII.GetString(SmtpMailer.DataPayload(".start\r\nmid.dle\r\n.\r\n..x\r\nend"u8));
        Assert.Equal("..start\r\nmid.dle\r\n..\r\n...x\r\nend\r\n.\r\n", payload);
    }

    [Fact]
    public void Quoted_printable_keeps_lines_short_encodes_what_it_must_and_round_trips()
    {
        var text = new string('a', 74) + "é\nTrailing space \n=equals\t\n" + string.Concat(Enumerable.Repeat("Grüße ", 30));
        var encoded = MimeMessage.QuotedPrintable(text);

        Assert.All(encoded.Split("\r\n"), line => Assert.True(line.Length <= 76, $"{line.Length}: {line}"));
        Assert.Contains("space=20\r\n", encoded);
        Assert.Contains("=3Dequals=09\r\n", encoded);
        Assert.Equal(text.Replace("\n", "\r\n") + "\r\n", Encoding.UTF8.GetString(ParsedMail.DecodeQuotedPrintable(encoded)));
    }

    [Fact]
    public void A_long_non_ascii_subject_becomes_encoded_words_split_between_characters()
    {
        var subject = string.Concat(Enumerable.Repeat("Terminerinnerung für Frau Ünal 🗓 ", 4));
        var encoded = MimeMessage.EncodeUnstructured(subject, "Subject: ".Length);

        var lines = ("Subject: " + encoded).Split("\r\n");
        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.True(l.Length <= 76, $"{l.Length}: {l}"));
        // Each encoded-word decodes on its own (RFC 2047 §5: no character split across words).
        Assert.All(lines.Select(l => l.Trim().Replace("Subject: ", "")), w => Assert.DoesNotContain('\uFFFD', ParsedMail.DecodeWords(w)));
        Assert.Equal(subject, ParsedMail.DecodeWords(string.Join(" ", lines.Select(l => l.Trim().Replace("Subject: ", "")))));
        Assert.Equal("Plain ASCII subject", MimeMessage.EncodeUnstructured("Plain ASCII subject", 9));
    }
}
