using System.Net.Http.Headers;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Domain;
using Meridian.Messaging.Features.SendMessages;
using Meridian.Patients.Contracts;
using Meridian.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Messaging;

/// <summary>Helpers shared by the messaging tests: unique addresses, the clock at a chosen local time, one sender pass, rows.</summary>
internal static class MessagingTestKit
{
    public const string NewYorkId = "America/New_York";
    public static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById(NewYorkId);

    public static string UniqueEmail(string stem = "patient") => $"{stem}.{Guid.NewGuid():N}@example.org";

    /// <summary>A fictional North American mobile number (NXX 555, line 01xx), unique enough for one test database.</summary>
    public static string UniqueMobile() => $"+1{Random.Shared.Next(201, 990)}55501{Random.Shared.Next(0, 100):D2}";

    /// <summary>Moves the clock forward to the next moment it is <paramref name="hour"/>:<paramref name="minute"/> in <paramref name="zone"/> (never backwards).</summary>
    public static DateTimeOffset MoveToLocal(MeridianApp app, TimeZoneInfo zone, int hour, int minute = 0)
    {
        var now = app.Clock.GetUtcNow().AddMinutes(1);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var candidate = local.Date.AddHours(hour).AddMinutes(minute);
        if (candidate <= local.DateTime) candidate = candidate.AddDays(1);
        while (zone.IsInvalidTime(candidate) || zone.IsAmbiguousTime(candidate)) candidate = candidate.AddDays(1);
        var at = new DateTimeOffset(candidate, zone.GetUtcOffset(candidate)).ToUniversalTime();
        app.Clock.Set(at);
        return at;
    }

    public static OutboundMessage Email(string to, string subject = "Appointment reminder", string body = "See you tomorrow at 9:00.",
        string? key = null, PatientId? patient = null, DateTimeOffset? sendAfter = null, DateTimeOffset? expiresAt = null, string purpose = TestReplyHandler.PurposeName) =>
        new(MessageChannel.Email, to, subject, body, purpose, key ?? "test:" + Guid.NewGuid().ToString("N"), patient,
            sendAfter ?? DateTimeOffset.UnixEpoch.AddYears(30), NewYorkId, expiresAt);

    public static OutboundMessage Sms(string to, string body = "Reminder: appointment tomorrow 9:00. Reply C to confirm, X to cancel.",
        string? key = null, PatientId? patient = null, DateTimeOffset? sendAfter = null, string purpose = TestReplyHandler.PurposeName,
        string? reference = null, string? zone = NewYorkId) =>
        new(MessageChannel.Sms, to, null, body, purpose, key ?? "test:" + Guid.NewGuid().ToString("N"), patient,
            sendAfter ?? DateTimeOffset.UnixEpoch.AddYears(30), zone, Reference: reference);

    public static Task<MessageId> EnqueueAsync(MeridianApp app, OutboundMessage message) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<IMessageOutbox>().EnqueueAsync(message));

    /// <summary>One deterministic pass of the background sender.</summary>
    public static Task<int> SendAsync(MeridianApp app) => app.Services.GetRequiredService<MessageSender>().RunOnceAsync();

    public static Task<Message> RowAsync(MeridianApp app, MessageId id) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Messages.AsNoTracking().SingleAsync(m => m.Id == id.Value));

    public static Task<List<MessageEvent>> HistoryAsync(MeridianApp app, MessageId id) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().Events.AsNoTracking().Where(e => e.MessageId == id.Value).OrderBy(e => e.Id).ToListAsync());

    public static Task<List<SimulatedSms>> TextsToAsync(MeridianApp app, string number) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<MessagingDbContext>().SimulatedTexts.AsNoTracking().Where(t => t.Recipient == number).OrderBy(t => t.SentAt).ToListAsync());

    /// <summary>
    /// A new staff user of the role with a fresh token. Not cached: tests here move the clock by hours and days, which would
    /// expire a cached five-minute token.
    /// </summary>
    public static async Task<HttpClient> FreshClientAsync(MeridianApp app, string role)
    {
        var user = await app.CreateUserAsync(role);
        var created = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync($"messaging test {role}", "user/*.cruds", user.Id));
        var token = await app.RequestTokenAsync(created.ClientId, created.ClientSecret, "user/*.cruds");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
