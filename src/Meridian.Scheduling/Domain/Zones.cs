using Meridian.SharedKernel.Errors;
using NodaTime;
using NodaTime.TimeZones;

namespace Meridian.Scheduling.Domain;

/// <summary>
/// Wall-clock time at a location ↔ UTC instants, with the IANA time-zone database NodaTime ships (so a server without
/// tzdata, or with an old one, still agrees with the practice's clocks).
/// </summary>
internal static class Zones
{
    public static DateTimeZone Get(string id) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) ?? throw ValidationFailedException.For("timeZone",
            $"'{id}' is not a known IANA time zone (for example America/New_York, America/Denver, America/Los_Angeles).");

    public static bool IsKnown(string? id) => id is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is not null;

    /// <summary>
    /// The UTC instant of a wall-clock time. On the spring-forward day a time that does not exist (02:30) moves forward
    /// by the gap; on the fall-back day a time that happens twice (01:30) means the first one. Both are what a person
    /// booking "01:30" expects, and neither creates a second appointment.
    /// </summary>
    public static DateTime ToUtc(DateOnly date, TimeOnly time, DateTimeZone zone)
    {
        var local = new LocalDateTime(date.Year, date.Month, date.Day, time.Hour, time.Minute, time.Second);
        return zone.ResolveLocal(local, Resolvers.LenientResolver).ToDateTimeUtc();
    }

    public static DateTime StartOfDayUtc(DateOnly date, DateTimeZone zone) =>
        zone.AtStartOfDay(new LocalDate(date.Year, date.Month, date.Day)).ToDateTimeUtc();

    public static DateTimeOffset ToLocal(DateTime utc, DateTimeZone zone)
    {
        var zoned = Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).InZone(zone);
        return zoned.ToDateTimeOffset();
    }

    public static DateOnly LocalDate(DateTime utc, DateTimeZone zone)
    {
        var d = Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).InZone(zone).Date;
        return new DateOnly(d.Year, d.Month, d.Day);
    }

    /// <summary>Minutes since local midnight (wall clock), for aligning slots to the location's grid.</summary>
    public static int LocalMinuteOfDay(DateTime utc, DateTimeZone zone)
    {
        var t = Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).InZone(zone).TimeOfDay;
        return t.Hour * 60 + t.Minute;
    }
}
