namespace Meridian.Messaging.Domain;

/// <summary>
/// No messages at night in the recipient's own time (TCPA 47 U.S.C. §227 and state "quiet hours" laws; the practice
/// chooses the window, 21:00–08:00 by default). Computed with the zone's rules at the moment, so daylight-saving changes
/// land on the right instant.
/// </summary>
internal static class QuietHours
{
    /// <summary>Null when a message may go out at <paramref name="utc"/>; otherwise the UTC instant the quiet period ends.</summary>
    public static DateTime? DeferUntil(DateTime utc, TimeZoneInfo zone, TimeOnly start, TimeOnly end)
    {
        if (start == end) return null;
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
        var time = TimeOnly.FromDateTime(local);
        var spansMidnight = start > end;
        var quiet = spansMidnight ? time >= start || time < end : time >= start && time < end;
        if (!quiet) return null;
        var endDate = DateOnly.FromDateTime(local);
        if (spansMidnight && time >= start) endDate = endDate.AddDays(1);
        var result = ToUtc(endDate.ToDateTime(end), zone);
        // A quiet end inside a skipped hour resolves to the first instant after the gap, always later than now.
        return result > utc ? result : utc.AddMinutes(1);
    }

    /// <summary>
    /// A local wall-clock time as UTC. A time skipped by a spring-forward change moves to the end of the gap (the
    /// first local time that exists after it); a time that occurs twice (fall back) is taken at its first occurrence.
    /// </summary>
    public static DateTime ToUtc(DateTime localWallClock, TimeZoneInfo zone)
    {
        var local = DateTime.SpecifyKind(localWallClock, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // Gaps are whole or half hours in every zone in use; step forward to the first valid minute.
            for (var i = 0; i < 24 * 60 && zone.IsInvalidTime(local); i++) local = local.AddMinutes(1);
            local = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified);
        }
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
    }
}

/// <summary>Exponential backoff with jitter for transient failures (a failed attempt n waits base·2^(n-1), capped, plus up to jitter·delay).</summary>
internal static class RetryPolicy
{
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double jitter, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (1 + jitter * random)));
    }
}

/// <summary>Purposes of the messages the messaging module sends itself; outside callers cannot use the prefix.</summary>
internal static class SystemPurposes
{
    public const string Prefix = "messaging.";
    /// <summary>The confirmation a STOP gets: CTIA allows (and expects) this one message after an opt-out.</summary>
    public const string OptOutConfirmation = "messaging.opt-out";
    public const string OptInConfirmation = "messaging.opt-in";
    public const string Help = "messaging.help";
    /// <summary>A handler's answer to a reply.</summary>
    public const string Reply = "messaging.reply";

    public static bool IsSystem(string purpose) => purpose.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Answers to a keyword the recipient just sent: they go out even to an opted-out number (CTIA Short Code Monitoring Handbook).</summary>
    public static bool BypassesOptOut(string purpose) => purpose is OptOutConfirmation or Help;
}

/// <summary>SMS keywords (CTIA Messaging Principles and Best Practices, 2019 §5.1.1–5.1.3).</summary>
internal static class Keywords
{
    // YES (a CTIA opt-in word) is left to handlers: patients answer a reminder with "yes" to confirm it.
    // CANCEL is also a CTIA opt-out word, but patients answer an appointment reminder with "cancel" to cancel the
    // appointment (the Scheduling handler's X): treating it as an opt-out would silently stop their reminders.
    private static readonly HashSet<string> OptOut = new(StringComparer.Ordinal) { "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT" };
    private static readonly HashSet<string> OptIn = new(StringComparer.Ordinal) { "START", "UNSTOP" };
    private static readonly HashSet<string> Help = new(StringComparer.Ordinal) { "HELP", "INFO" };

    public enum Kind { None, OptOut, OptIn, Help }

    public static Kind Classify(string body)
    {
        var word = body.Trim().TrimEnd('.', '!').Trim().ToUpperInvariant();
        if (OptOut.Contains(word)) return Kind.OptOut;
        if (OptIn.Contains(word)) return Kind.OptIn;
        return Help.Contains(word) ? Kind.Help : Kind.None;
    }
}
