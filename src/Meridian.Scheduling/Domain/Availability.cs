namespace Meridian.Scheduling.Domain;

/// <summary>A half-open UTC interval [Start, End).</summary>
internal readonly record struct Span(DateTime Start, DateTime End)
{
    public bool Overlaps(DateTime start, DateTime end) => Start < end && start < End;
    public bool Contains(DateTime start, DateTime end) => Start <= start && end <= End;
}

/// <summary>Open time of one provider at one location.</summary>
internal readonly record struct OpenSpan(Guid LocationId, DateTime Start, DateTime End)
{
    public Span Span => new(Start, End);
}

/// <summary>
/// Turns templates, blocks and exceptions into the provider's open time, and open time minus bookings into bookable
/// starts. Pure: the handlers load the rows, this decides.
/// </summary>
internal static class Availability
{
    /// <summary>
    /// The provider's open time on local dates [from, to] (inclusive, in each template location's own zone): the
    /// template's open rules minus its blocked rules (lunch), minus closures and blocks, plus extra open hours.
    /// </summary>
    public static List<OpenSpan> Open(
        Guid providerId,
        IEnumerable<AvailabilityTemplate> templates,
        IReadOnlyDictionary<Guid, Location> locations,
        IReadOnlyList<AvailabilityException> exceptions,
        DateOnly from,
        DateOnly to)
    {
        var result = new List<OpenSpan>();
        foreach (var byLocation in templates.Where(t => t.ProviderId == providerId).GroupBy(t => t.LocationId))
        {
            if (!locations.TryGetValue(byLocation.Key, out var location)) continue;
            var zone = Zones.Get(location.TimeZone);
            var open = new List<Span>();
            var blocked = new List<Span>();
            for (var d = from; d <= to; d = d.AddDays(1))
                foreach (var template in byLocation)
                {
                    if (d < template.EffectiveFrom || (template.EffectiveTo is { } until && d > until)) continue;
                    foreach (var rule in template.Rules)
                    {
                        if (rule.Weekday != d.DayOfWeek) continue;
                        var span = new Span(Zones.ToUtc(d, rule.Start, zone), Zones.ToUtc(d, rule.End, zone));
                        if (span.End <= span.Start) continue;
                        (rule.Kind == "blocked" ? blocked : open).Add(span);
                    }
                }
            foreach (var x in exceptions)
            {
                var mine = x.ProviderId == providerId && (x.LocationId is null || x.LocationId == location.Id);
                var wholeLocation = x.ProviderId is null && x.LocationId == location.Id;
                var everywhere = x.ProviderId is null && x.LocationId is null;
                if (x.Kind == "open" && mine && x.LocationId == location.Id) open.Add(new Span(x.StartUtc, x.EndUtc));
                else if (x.Kind != "open" && (mine || wholeLocation || everywhere)) blocked.Add(new Span(x.StartUtc, x.EndUtc));
            }
            foreach (var s in Subtract(Merge(open), blocked)) result.Add(new OpenSpan(location.Id, s.Start, s.End));
        }
        result.Sort((a, b) => a.Start.CompareTo(b.Start));
        return result;
    }

    /// <summary>Sorts and joins overlapping or touching spans.</summary>
    public static List<Span> Merge(IEnumerable<Span> spans)
    {
        var sorted = spans.Where(s => s.End > s.Start).OrderBy(s => s.Start).ToList();
        var merged = new List<Span>(sorted.Count);
        foreach (var s in sorted)
        {
            if (merged.Count > 0 && s.Start <= merged[^1].End)
                merged[^1] = merged[^1] with { End = s.End > merged[^1].End ? s.End : merged[^1].End };
            else merged.Add(s);
        }
        return merged;
    }

    /// <summary>Open minus busy: what remains of each open span after removing every busy span.</summary>
    public static List<Span> Subtract(IReadOnlyList<Span> open, IEnumerable<Span> busy)
    {
        var cuts = Merge(busy);
        var result = new List<Span>();
        foreach (var o in open)
        {
            var start = o.Start;
            foreach (var c in cuts)
            {
                if (c.End <= start) continue;
                if (c.Start >= o.End) break;
                if (c.Start > start) result.Add(new Span(start, c.Start));
                if (c.End > start) start = c.End;
                if (start >= o.End) break;
            }
            if (start < o.End) result.Add(new Span(start, o.End));
        }
        return result;
    }

    /// <summary>
    /// Start times within <paramref name="free"/> on the location's grid (multiples of <paramref name="stepMinutes"/>
    /// from local midnight) where <paramref name="duration"/> fits.
    /// </summary>
    public static IEnumerable<DateTime> Starts(Span free, TimeSpan duration, int stepMinutes, NodaTime.DateTimeZone zone)
    {
        var t = free.Start;
        var minute = Zones.LocalMinuteOfDay(t, zone);
        var offGrid = (minute % stepMinutes) * 60 + t.Second;
        if (offGrid != 0 || t.Millisecond != 0)
            t = t.AddSeconds(-t.Second).AddMilliseconds(-t.Millisecond).AddMinutes(stepMinutes - minute % stepMinutes);
        for (; t + duration <= free.End; t = t.AddMinutes(stepMinutes)) yield return t;
    }
}
