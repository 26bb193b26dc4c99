using Meridian.SharedKernel.Errors;

namespace Meridian.Scheduling.Domain;

/// <summary>
/// How a series repeats: weekly (every <see cref="Interval"/> weeks on the first occurrence's weekday) or monthly, either
/// on the same date ("the 15th") or the same weekday position ("the second Tuesday"; a fifth weekday means "the last").
/// It ends on <see cref="Until"/> (inclusive) or after <see cref="Count"/> occurrences.
/// </summary>
public sealed record RecurrenceRequest(string Frequency, int Interval = 1, string? MonthlyBy = null, DateOnly? Until = null, int? Count = null);

internal static class Recurrence
{
    /// <summary>A series may not outrun the bookable horizon.</summary>
    public const int MaxOccurrences = 104;

    public static void Validate(RecurrenceRequest r, DateOnly first, Validator v)
    {
        if (r.Frequency is not ("weekly" or "monthly")) v.Add("recurrence.frequency", "Use weekly or monthly.");
        if (r.Interval is < 1 or > 52) v.Add("recurrence.interval", "Repeat every 1 to 52 weeks or months.");
        if (r.Frequency == "monthly" && r.MonthlyBy is not ("date" or "weekday"))
            v.Add("recurrence.monthlyBy", "A monthly series repeats by date (the 15th) or by weekday (the second Tuesday).");
        if (r.Until is null && r.Count is null) v.Add("recurrence", "Give an end date or a number of occurrences.");
        if (r.Until is not null && r.Count is not null) v.Add("recurrence", "Give an end date or a number of occurrences, not both.");
        if (r.Count is < 1 or > MaxOccurrences) v.Add("recurrence.count", $"A series has 1 to {MaxOccurrences} occurrences.");
        if (r.Until is { } u && u < first) v.Add("recurrence.until", "The series ends before it starts.");
        if (r.Until is { } u2 && u2 > first.AddYears(2)) v.Add("recurrence.until", "A series can run at most two years.");
    }

    /// <summary>The local dates of the occurrences, the first one included.</summary>
    public static List<DateOnly> Dates(RecurrenceRequest r, DateOnly first)
    {
        var dates = new List<DateOnly>();
        var limit = r.Count ?? MaxOccurrences;
        var until = r.Until ?? first.AddYears(2);
        if (r.Frequency == "weekly")
        {
            for (var d = first; d <= until && dates.Count < limit; d = d.AddDays(7 * r.Interval)) dates.Add(d);
            return dates;
        }
        var nth = (first.Day - 1) / 7 + 1;
        var last = nth == 5;
        for (var m = 0; dates.Count < limit; m += r.Interval)
        {
            var month = new DateOnly(first.Year, first.Month, 1).AddMonths(m);
            if (month > until) break;
            DateOnly? d;
            if (r.MonthlyBy == "date")
                // RFC 5545 §3.3.10: a BYMONTHDAY that does not exist in a month (the 31st in April) is skipped, not moved.
                d = first.Day <= DateTime.DaysInMonth(month.Year, month.Month) ? new DateOnly(month.Year, month.Month, first.Day) : null;
            else
                d = NthWeekday(month, first.DayOfWeek, last ? -1 : nth);
            if (d is { } date && date >= first && date <= until) dates.Add(date);
        }
        return dates;
    }

    private static DateOnly NthWeekday(DateOnly month, DayOfWeek weekday, int nth)
    {
        if (nth > 0)
        {
            var d = month;
            while (d.DayOfWeek != weekday) d = d.AddDays(1);
            return d.AddDays(7 * (nth - 1));
        }
        var end = month.AddMonths(1).AddDays(-1);
        while (end.DayOfWeek != weekday) end = end.AddDays(-1);
        return end;
    }

    /// <summary>The RFC 5545 RRULE for the series (the iCalendar feed and the FHIR extension show it).</summary>
    public static string ToRRule(RecurrenceRequest r, DateOnly first)
    {
        var parts = new List<string> { $"FREQ={r.Frequency.ToUpperInvariant()}", $"INTERVAL={r.Interval}" };
        if (r.Frequency == "monthly")
        {
            var day = first.DayOfWeek.ToString()[..2].ToUpperInvariant();
            var nth = (first.Day - 1) / 7 + 1;
            parts.Add(r.MonthlyBy == "date" ? $"BYMONTHDAY={first.Day}" : $"BYDAY={(nth == 5 ? -1 : nth)}{day}");
        }
        if (r.Count is { } c) parts.Add($"COUNT={c}");
        if (r.Until is { } u) parts.Add($"UNTIL={u:yyyyMMdd}");
        return string.Join(';', parts);
    }
}
