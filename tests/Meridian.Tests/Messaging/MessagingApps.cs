using System.Collections.Concurrent;
using Meridian.Messaging.Contracts;
using Meridian.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Messaging;

/// <summary>A host whose e-mail goes to a <see cref="LocalSmtpServer"/> of its own and whose texts go to the SMS simulator.</summary>
public interface IMessagingApp
{
    LocalSmtpServer Smtp { get; }
    RecordedReplies Replies { get; }
}

/// <summary>What the test reply handler was given.</summary>
public sealed class RecordedReplies
{
    public ConcurrentQueue<InboundReply> Calls { get; } = new();
}

/// <summary>
/// Takes replies to "test-reminder" messages, as the Scheduling module's handler takes replies to appointment reminders:
/// "C" is answered, "BOOM" throws, anything else gets no answer.
/// </summary>
internal sealed class TestReplyHandler(RecordedReplies recorded) : IInboundMessageHandler
{
    public const string PurposeName = "test-reminder";
    public string Purpose => PurposeName;

    public Task<string?> HandleAsync(InboundReply reply, CancellationToken ct)
    {
        recorded.Calls.Enqueue(reply);
        return reply.Body.Trim().ToUpperInvariant() switch
        {
            "C" => Task.FromResult<string?>($"Thanks, appointment {reply.InReplyTo?.Reference} is confirmed."),
            "BOOM" => throw new InvalidOperationException("The appointment no longer exists."),
            _ => Task.FromResult<string?>(null),
        };
    }
}

internal static class MessagingHost
{
    public const string SmtpUser = "meridian-relay";
    public const string SmtpPassword = "relay-Pa55word";
    public const string From = "reminders@practice.example";
    // Non-ASCII on purpose: the From display name must be RFC 2047-encoded.
    public const string FromName = "Praxis Meridian – Empfang";

    /// <summary>The sender runs only when a test says so (RunOnceAsync), so every test sees each step.</summary>
    public static Dictionary<string, string?> Settings(LocalSmtpServer smtp) => new()
    {
        ["Meridian:Messaging:Sender:Enabled"] = "false",
        ["Meridian:Messaging:Sender:MaxAttempts"] = "4",
        ["Meridian:Messaging:Sender:RetryBaseDelay"] = "00:01:00",
        ["Meridian:Messaging:Sender:RetryMaxDelay"] = "00:30:00",
        ["Meridian:Messaging:Sender:Lease"] = "00:02:00",
        ["Meridian:Messaging:Smtp:Host"] = "127.0.0.1",
        ["Meridian:Messaging:Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Meridian:Messaging:Smtp:StartTls"] = "true",
        ["Meridian:Messaging:Smtp:ServerCertificateThumbprint"] = smtp.CertificateThumbprint,
        ["Meridian:Messaging:Smtp:UserName"] = SmtpUser,
        ["Meridian:Messaging:Smtp:Password"] = SmtpPassword,
        ["Meridian:Messaging:Smtp:From"] = From,
        ["Meridian:Messaging:Smtp:FromName"] = FromName,
        ["Meridian:Messaging:Smtp:Timeout"] = "00:00:10",
        ["Meridian:Messaging:Sms:Gateway"] = "Simulator",
        ["Meridian:Messaging:DefaultTimeZone"] = "America/New_York",
        ["Meridian:Messaging:PracticeName"] = "Meridian Family Practice",
        ["Meridian:Messaging:PracticePhone"] = "(555) 010-2000",
    };

    public static LocalSmtpServer NewServer() => new(tls: true) { UserName = SmtpUser, Password = SmtpPassword };

    public static void AddTestHandler(IWebHostBuilder builder, RecordedReplies replies) =>
        builder.ConfigureServices(services =>
        {
            services.AddSingleton(replies);
            services.AddScoped<IInboundMessageHandler, TestReplyHandler>();
        });
}

public sealed class MessagingSqliteApp : SqliteApp, IMessagingApp
{
    public LocalSmtpServer Smtp { get; } = MessagingHost.NewServer();
    public RecordedReplies Replies { get; } = new();
    protected override IDictionary<string, string?> Settings => MessagingHost.Settings(Smtp);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        MessagingHost.AddTestHandler(builder, Replies);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Smtp.Dispose();
    }
}

public sealed class MessagingPostgreSqlApp : PostgreSqlApp, IMessagingApp
{
    public LocalSmtpServer Smtp { get; } = MessagingHost.NewServer();
    public RecordedReplies Replies { get; } = new();
    protected override IDictionary<string, string?> Settings => MessagingHost.Settings(Smtp);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        MessagingHost.AddTestHandler(builder, Replies);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Smtp.Dispose();
    }
}

/// <summary>
/// No SMTP host configured (e-mail goes to the local mailbox simulator), the SMS simulator, and the background sender running
/// with a short poll interval; quiet hours off so that these tests do not depend on the time of day.
/// </summary>
internal static class SimulatorHost
{
    public static Dictionary<string, string?> Settings => new()
    {
        ["Meridian:Messaging:Sender:Enabled"] = "true",
        ["Meridian:Messaging:Sender:PollInterval"] = "00:00:00.200",
        ["Meridian:Messaging:QuietHours:Enabled"] = "false",
        ["Meridian:Messaging:Sms:Gateway"] = "Simulator",
    };
}

public sealed class MessagingSimulatorSqliteApp : SqliteApp
{
    protected override IDictionary<string, string?> Settings => SimulatorHost.Settings;
}

public sealed class MessagingSimulatorPostgreSqlApp : PostgreSqlApp
{
    protected override IDictionary<string, string?> Settings => SimulatorHost.Settings;
}
