using System.Security.Cryptography;
using System.Text;
using NodaTime;

namespace Meridian.Scheduling.Domain;

/// <summary>
/// A patient waiting for an earlier or a suitable time. Preferences are what the patient told the front desk; the offerer
/// only offers times that satisfy all of them. Lists are stored as comma-separated text: they are read with the entry and
/// matched in memory, never joined on.
/// </summary>
internal sealed class WaitlistEntry
{
    public Guid Id { get; set; }
    public Guid PatientId { get; set; }
    public Guid AppointmentTypeId { get; set; }
    /// <summary>Provider ids, comma separated; empty = any provider who offers the type.</summary>
    public string PreferredProviderIds { get; set; } = "";
    /// <summary>ISO weekday numbers (1 = Monday … 7 = Sunday), comma separated; empty = any day.</summary>
    public string PreferredWeekdays { get; set; } = "";
    /// <summary>Wall-clock window in the location's zone; both null = any time of day.</summary>
    public TimeOnly? WindowStart { get; set; }
    public TimeOnly? WindowEnd { get; set; }
    public DateOnly EarliestDate { get; set; }
    public DateOnly? LatestDate { get; set; }
    /// <summary>1 high … 3 low.</summary>
    public int Priority { get; set; } = 2;
    /// <summary>sms | email</summary>
    public string Channel { get; set; } = "sms";
    /// <summary>waiting | offered | booked | removed</summary>
    public string State { get; set; } = WaitlistStates.Waiting;
    public string? Note { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public Guid? BookedAppointmentId { get; set; }

    public IReadOnlyList<Guid> Providers() =>
        PreferredProviderIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList();

    public IReadOnlyList<DayOfWeek> Weekdays() =>
        PreferredWeekdays.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => (DayOfWeek)(int.Parse(d) % 7)).ToList();
}

internal static class WaitlistStates
{
    public const string Waiting = "waiting";
    public const string Offered = "offered";
    public const string Booked = "booked";
    public const string Removed = "removed";
    public static readonly string[] All = [Waiting, Offered, Booked, Removed];
}

/// <summary>
/// An opening: time that became free (a cancellation, a reschedule away), recorded in the transaction that freed it.
/// open → filled (an offer was accepted) | gone (someone else booked it) | closed (too close to its start, or nobody matched in time).
/// </summary>
internal sealed class FreedTime
{
    public Guid Id { get; set; }
    public Guid ProviderId { get; set; }
    public Guid LocationId { get; set; }
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
    public Guid SourceAppointmentId { get; set; }
    /// <summary>The patient whose appointment freed it: never offered their own time back.</summary>
    public Guid SourcePatientId { get; set; }
    public string State { get; set; } = OpeningStates.Open;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? Detail { get; set; }
}

internal static class OpeningStates
{
    public const string Open = "open";
    public const string Filled = "filled";
    public const string Gone = "gone";
    public const string Closed = "closed";
}

/// <summary>
/// One offer of an opening to one waiting patient. The token in the link is shown once (in the message); only its SHA-256
/// is stored, so a database reader cannot accept offers. pending → accepted | declined | expired | superseded (another
/// patient took it) | lost (the patient answered after the time was gone).
/// </summary>
internal sealed class WaitlistOffer
{
    public Guid Id { get; set; }
    public Guid OpeningId { get; set; }
    public Guid EntryId { get; set; }
    public Guid PatientId { get; set; }
    public string TokenHash { get; set; } = "";
    public string State { get; set; } = OfferStates.Pending;
    public string Channel { get; set; } = "sms";
    public Guid? MessageId { get; set; }
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RespondedAt { get; set; }
    public Guid? AppointmentId { get; set; }
    public string? Detail { get; set; }
}

internal static class OfferStates
{
    public const string Pending = "pending";
    public const string Accepted = "accepted";
    public const string Declined = "declined";
    public const string Expired = "expired";
    public const string Superseded = "superseded";
    public const string Lost = "lost";
}

/// <summary>
/// Unguessable link tokens (128 bits by default, URL-safe) and the hash that is stored instead of them. The calendar feed
/// uses the same with 256 bits (its URL lives on in a calendar app for years).
/// </summary>
internal static class LinkTokens
{
    public static string New(int bytes = 16) => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Rejects anything that is not a token we could have issued before touching the database.</summary>
    public static bool LooksValid(string? token) => token is { Length: 22 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>Whether an opening suits a waiting patient. Times are judged in the location's zone: "mornings" means the clinic's mornings.</summary>
internal static class WaitlistMatching
{
    public static bool Fits(WaitlistEntry e, Guid providerId, DateTime startUtc, DateTime endUtc, DateTimeZone zone)
    {
        var providers = e.Providers();
        if (providers.Count > 0 && !providers.Contains(providerId)) return false;
        var local = Zones.ToLocal(startUtc, zone);
        var localEnd = Zones.ToLocal(endUtc, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        if (date < e.EarliestDate) return false;
        if (e.LatestDate is { } latest && date > latest) return false;
        var days = e.Weekdays();
        if (days.Count > 0 && !days.Contains(local.DayOfWeek)) return false;
        if (e.WindowStart is { } ws && TimeOnly.FromDateTime(local.DateTime) < ws) return false;
        // The visit must end inside the window too (a 08:00–12:00 patient is not offered 11:50).
        if (e.WindowEnd is { } we && (DateOnly.FromDateTime(localEnd.DateTime) > date || TimeOnly.FromDateTime(localEnd.DateTime) > we)) return false;
        return true;
    }
}
